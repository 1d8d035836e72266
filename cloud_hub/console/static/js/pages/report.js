// One retrain report (#/report/<id>): the decision, the headline figures, and report.md rendered
// with its plots. Reports never change, so the page loads once and has nothing to refresh.
// The plots need the bearer token, so they are fetched and shown as blob: URLs.
import { api, apiFile } from "../api.js";
import { fmtNum, fmtTime, h } from "../dom.js";
import { renderMarkdown } from "../markdown.js";

export function decisionBadge(r) {
  const word = r.promoted ? "promoted" : "refused";
  return h("span", { class: `pill ${word}`, "data-decision": word }, word);
}

export function headline(r) {
  if (r.champion_rmse === null || r.challenger_rmse === null) return "—";
  return `field RMSE ${fmtNum(r.champion_rmse)} → ${fmtNum(r.challenger_rmse)} µg/m³ (${r.field_frames ?? "?"} frames)`;
}

export const reportHref = (id) => `#/report/${encodeURIComponent(id)}`;

export async function render(root, ctx) {
  const id = ctx.args[0];
  const base = `/retrain-reports/${encodeURIComponent(id)}`;
  const urls = [];
  const r = await api(base);
  const text = await (await apiFile(`${base}/files/report.md`)).text();
  const image = (src, alt) => {
    const img = h("img", { alt, "data-file": src });
    const fig = h("figure", {}, img, h("figcaption", {}, alt));
    if (!(src in r.files)) {  // only the report's own files; nothing else is fetched
      img.replaceWith(h("p", { class: "muted" }, `(${alt}: not in this report)`));
      return fig;
    }
    apiFile(`${base}/files/${encodeURIComponent(src)}`)
      .then((resp) => resp.blob())
      .then((blob) => { const url = URL.createObjectURL(blob); urls.push(url); img.src = url; })
      .catch((e) => ctx.say(`Could not load ${src}: ${e.detail ?? e}`, "error"));
    return fig;
  };
  root.append(
    h("p", {}, h("a", { href: "#/rollouts" }, "← Models and rollouts")),
    h("h1", {}, `Retrain report: ${r.model_name} v${r.champion_version} vs challenger v${r.challenger_version} `, decisionBadge(r)),
    h("section", { class: "card" }, h("dl", { class: "facts" },
      h("dt", {}, "Uploaded"), h("dd", {}, `${fmtTime(r.uploaded_at)} by ${r.uploaded_by}`),
      h("dt", {}, "Trigger"), h("dd", {}, r.trigger),
      h("dt", {}, "Held-out field"), h("dd", {}, headline(r)),
      h("dt", {}, "Files"), h("dd", {}, Object.keys(r.files).map((f) =>
        h("button", { class: "link-dark", "data-download": f, onclick: () => save(base, f) }, f)).flatMap((b) => [b, " "]))),
    ),
    h("section", { class: "card md", id: "report-body" }, renderMarkdown(text, { image })));
  return { dispose: () => urls.forEach((u) => URL.revokeObjectURL(u)) };
}

async function save(base, name) {
  const blob = await (await apiFile(`${base}/files/${encodeURIComponent(name)}`)).blob();
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
