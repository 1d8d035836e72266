// The fleet "map": an honest coordinate plot. Without a tile server devices are placed with an
// equirectangular projection (x = lon·cos(mid-lat), y = lat) on lat/lon axes with a scale bar;
// with console.tile_url set, the plot switches to Web Mercator and draws those tiles behind.
// Zone outlines are [lat, lon] pairs, like the devices' lat/lon fields.
import { s } from "./dom.js";

// Plot size in SVG units: the element's own width (360..800) so labels stay legible on a phone.
let W = 800;
let H = 480;
const M = { l: 56, r: 12, t: 12, b: 36 };
const KM_PER_DEG_LAT = 111.32;

function mercator(lat, lon) {
  const r = (Math.max(-85, Math.min(85, lat)) * Math.PI) / 180;
  return [(lon + 180) / 360, (1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2];
}

function bounds(points) {
  let [la0, la1, lo0, lo1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [la, lo] of points) {
    la0 = Math.min(la0, la); la1 = Math.max(la1, la);
    lo0 = Math.min(lo0, lo); lo1 = Math.max(lo1, lo);
  }
  const pad = Math.max(la1 - la0, lo1 - lo0, 0.005) * 0.08;
  return { la0: la0 - pad, la1: la1 + pad, lo0: lo0 - pad, lo1: lo1 + pad };
}

function niceStep(span, target) {
  const raw = span / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= raw) ?? raw;
}

// A projection fitted to the box and plot area: (lat, lon) -> [x, y] in SVG units.
function fit(b, tiles) {
  const mid = ((b.la0 + b.la1) / 2) * (Math.PI / 180);
  const raw = tiles ? (la, lo) => mercator(la, lo) : (la, lo) => [lo * Math.cos(mid), -la];
  const [x0, y1] = raw(b.la0, b.lo0);
  const [x1, y0] = raw(b.la1, b.lo1);
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const k = Math.min(pw / (x1 - x0 || 1), ph / (y1 - y0 || 1));
  const ox = M.l + (pw - (x1 - x0) * k) / 2;
  const oy = M.t + (ph - (y1 - y0) * k) / 2;
  const project = (la, lo) => { const [x, y] = raw(la, lo); return [ox + (x - x0) * k, oy + (y - y0) * k]; };
  return { project, k, raw, ox, oy, x0, y0, mid };
}

function tileLayer(url, p) {
  // Zoom so a 256 px tile is about 256 SVG units wide.
  const z = Math.max(0, Math.min(19, Math.round(Math.log2(p.k / 256))));
  const n = 2 ** z;
  const inv = (x, y) => [p.x0 + (x - p.ox) / p.k, p.y0 + (y - p.oy) / p.k];
  const [wx0, wy0] = inv(0, 0);
  const [wx1, wy1] = inv(W, H);
  const g = s("g", { class: "tiles" });
  for (let tx = Math.floor(wx0 * n); tx <= Math.floor(wx1 * n); tx++) {
    for (let ty = Math.floor(wy0 * n); ty <= Math.floor(wy1 * n); ty++) {
      if (tx < 0 || ty < 0 || tx >= n || ty >= n) continue;
      const href = url.replace("{z}", z).replace("{x}", tx).replace("{y}", ty);
      g.append(s("image", {
        href, x: p.ox + (tx / n - p.x0) * p.k, y: p.oy + (ty / n - p.y0) * p.k,
        width: p.k / n, height: p.k / n, preserveAspectRatio: "none",
      }));
    }
  }
  return g;
}

function axes(b, p) {
  const g = s("g", { class: "axes" });
  const latStep = niceStep(b.la1 - b.la0, 5);
  const lonStep = niceStep(b.lo1 - b.lo0, 6);
  const digits = (step) => Math.max(0, -Math.floor(Math.log10(step)));
  for (let la = Math.ceil(b.la0 / latStep) * latStep; la <= b.la1; la += latStep) {
    const [, y] = p.project(la, b.lo0);
    g.append(s("line", { x1: M.l, x2: W - M.r, y1: y, y2: y, class: "grid" }),
      s("text", { x: M.l - 4, y: y + 4, "text-anchor": "end", text: `${la.toFixed(digits(latStep))}°` }));
  }
  for (let lo = Math.ceil(b.lo0 / lonStep) * lonStep; lo <= b.lo1; lo += lonStep) {
    const [x] = p.project(b.la0, lo);
    g.append(s("line", { x1: x, x2: x, y1: M.t, y2: H - M.b, class: "grid" }),
      s("text", { x, y: H - M.b + 14, "text-anchor": "middle", text: `${lo.toFixed(digits(lonStep))}°` }));
  }
  g.append(s("text", { x: 4, y: M.t + 10, class: "axis-label", text: "lat" }),
    s("text", { x: W - M.r, y: H - 4, "text-anchor": "end", class: "axis-label", text: "lon" }));
  return g;
}

function scaleBar(b, p) {
  // Ground distance along the middle latitude: 1° lon = 111.32·cos(lat) km.
  const la = (b.la0 + b.la1) / 2;
  const kmPerDegLon = KM_PER_DEG_LAT * Math.cos((la * Math.PI) / 180);
  const spanKm = (b.lo1 - b.lo0) * kmPerDegLon;
  const km = niceStep(spanKm / 4, 1);
  const [x0, y] = p.project(b.la0, b.lo0);
  const [x1] = p.project(b.la0, b.lo0 + km / kmPerDegLon);
  const label = km >= 1 ? `${km} km` : `${Math.round(km * 1000)} m`;
  return s("g", { class: "scalebar", transform: `translate(${12},${-18})` },
    s("line", { x1: x0, x2: x1, y1: y, y2: y }),
    s("text", { x: (x0 + x1) / 2, y: y - 4, "text-anchor": "middle", text: label }));
}

// Draw into `svg`: devices [{id, lat, lon, colour, title}], zones [{id, name, outline}].
export function drawMap(svg, { devices, zones, tileUrl, onSelect }) {
  W = Math.round(Math.max(360, Math.min(800, svg.clientWidth || 800)));
  H = Math.round(W * (W < 600 ? 0.85 : 0.6));
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.replaceChildren();
  const placed = devices.filter((d) => d.lat !== null && d.lon !== null);
  const outlines = zones.filter((z) => Array.isArray(z.outline) && z.outline.length >= 3);
  const points = [...placed.map((d) => [d.lat, d.lon]), ...outlines.flatMap((z) => z.outline)];
  if (!points.length) {
    svg.append(s("text", { x: W / 2, y: H / 2, "text-anchor": "middle", text: "No device has coordinates yet." }));
    return 0;
  }
  const b = bounds(points);
  const p = fit(b, Boolean(tileUrl));
  if (tileUrl) svg.append(tileLayer(tileUrl, p));
  svg.append(axes(b, p));
  for (const z of outlines) {
    const pts = z.outline.map(([la, lo]) => p.project(la, lo).join(",")).join(" ");
    const [cx, cy] = p.project(
      z.outline.reduce((a, q) => a + q[0], 0) / z.outline.length,
      z.outline.reduce((a, q) => a + q[1], 0) / z.outline.length);
    svg.append(s("polygon", { points: pts, class: "zone" }),
      s("text", { x: cx, y: cy, class: "zone-label", "text-anchor": "middle", text: z.name }));
  }
  for (const d of placed) {
    const [x, y] = p.project(d.lat, d.lon);
    svg.append(s("circle", {
      cx: x, cy: y, r: 7, fill: d.colour, class: "device-dot", "data-device": d.id,
      tabindex: 0, role: "link", onclick: () => onSelect(d.id),
      onkeydown: (ev) => { if (ev.key === "Enter") onSelect(d.id); },
    }, s("title", { text: d.title })));
  }
  svg.append(scaleBar(b, p));
  return placed.length;
}
