// A small markdown renderer for our own reports (training/retrain/report.py): headings,
// paragraphs, pipe tables, lists, images, **bold** and `code`. It builds DOM nodes and sets only
// text, never innerHTML, so any HTML in the text shows as text. Links are shown as text too:
// a report has no business sending people elsewhere. `image(src, alt)` returns the element
// for an image (the caller decides what a src may be and how it is fetched).
import { h } from "./dom.js";

const INLINE = /(\*\*[^*]+\*\*|`[^`]+`)/;

function inline(text) {
  return text.split(INLINE).filter(Boolean).map((part) => {
    if (part.startsWith("**") && part.endsWith("**") && part.length > 4) return h("strong", {}, part.slice(2, -2));
    if (part.startsWith("`") && part.endsWith("`") && part.length > 2) return h("code", {}, part.slice(1, -1));
    return part;
  });
}

function cells(line) {
  return line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());
}

const isRule = (line) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line);
const isRow = (line) => line.trim().startsWith("|");
const IMAGE = /^!\[([^\]]*)\]\(([^)\s]+)\)$/;

export function renderMarkdown(text, { image }) {
  const out = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const picture = IMAGE.exec(line.trim());
    if (!line.trim()) { i += 1; continue; }
    if (heading) {
      out.push(h(`h${Math.min(6, heading[1].length + 1)}`, {}, inline(heading[2])));  // h1 is the page's
      i += 1;
    } else if (picture) {
      out.push(image(picture[2], picture[1]));
      i += 1;
    } else if (isRow(line) && i + 1 < lines.length && isRule(lines[i + 1])) {
      const head = cells(line);
      const rows = [];
      i += 2;
      while (i < lines.length && isRow(lines[i])) rows.push(cells(lines[i++]));
      out.push(h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, inline(c))))),
        h("tbody", {}, rows.map((r) => h("tr", {}, head.map((_, k) => h("td", {}, inline(r[k] ?? "")))))))));
    } else if (/^\s*[-*]\s+/.test(line)) {
      const items = [];
      while (i < lines.length && /^\s*[-*]\s+/.test(lines[i])) items.push(lines[i++].replace(/^\s*[-*]\s+/, ""));
      out.push(h("ul", {}, items.map((t) => h("li", {}, inline(t)))));
    } else {
      const para = [];
      while (i < lines.length && lines[i].trim() && !/^(#{1,6}\s|\s*[-*]\s|\s*\|)/.test(lines[i]) && !IMAGE.test(lines[i].trim())) {
        para.push(lines[i++].trim());
      }
      if (!para.length) para.push(lines[i++].trim());  // a lone table row without a rule
      out.push(h("p", {}, inline(para.join(" "))));
    }
  }
  return out;
}
