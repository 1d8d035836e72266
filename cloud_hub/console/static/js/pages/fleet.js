// Fleet overview: counts by health, filters, the coordinate map and the device list.
import { api } from "../api.js";
import { aqiBand, aqiColour, categoryColour, HEALTH_COLOURS } from "../aqi.js";
import { fmtAgo, fmtNum, h, s, table } from "../dom.js";
import { drawMap } from "../map.js";

const STATES = ["online", "degraded", "offline", "never_seen", "revoked"];

function select(name, label, options) {
  return h("label", {}, label, h("select", { name },
    h("option", { value: "" }, "all"), options.map((o) => h("option", { value: o }, o))));
}

export async function render(root, ctx) {
  const bands = ctx.config.aqi_bands;
  const counts = h("div", { class: "counts", id: "counts" });
  const filters = h("form", { class: "filters", id: "filters" });
  const colourBy = h("select", { name: "colour" },
    h("option", { value: "aqi" }, "AQI"), h("option", { value: "health" }, "health"));
  const svg = s("svg", { id: "fleet-map", class: "map", role: "img", "aria-label": "Devices by coordinates" });
  const legend = h("div", { class: "legend", id: "legend" });
  const list = h("div", { id: "device-list" });
  root.append(h("h1", {}, "Fleet"), counts, filters,
    h("section", { class: "card" }, svg, legend), h("section", { class: "card" }, h("h2", {}, "Devices"), list));
  const zones = await api("/zones");
  let built = false;

  function buildFilters(rows) {
    const tags = [...new Set(rows.flatMap((d) => d.tags))].sort();
    const versions = [...new Set(rows.map((d) => d.model_version).filter((v) => v !== null))].sort((a, b) => a - b);
    filters.replaceChildren(select("zone", "Zone", zones.map((z) => z.id)), select("tag", "Tag", tags),
      select("model_version", "Model", versions), h("label", {}, "Colour by", colourBy));
    filters.addEventListener("change", () => refresh());
    built = true;
  }

  function legendFor(mode) {
    const items = mode === "health"
      ? STATES.map((k) => [HEALTH_COLOURS[k], k.replace("_", " ")])
      : [...bands.map((b) => [b.colour, b.label]), ["#b8bcc4", "no recent reading"]];
    legend.replaceChildren(...items.map(([c, label]) => h("span", {}, h("i", { style: `background:${c}` }), label)));
  }

  async function refresh() {
    const [status, overview] = await Promise.all([api("/fleet/status"), api("/fleet/overview")]);
    counts.replaceChildren(...["total", ...STATES].map((k) =>
      h("div", { class: `count ${k}`, "data-state": k }, h("b", {}, status[k]), k.replace("_", " "))));
    if (!built) buildFilters(overview);
    const f = Object.fromEntries(new FormData(filters));
    const rows = overview.filter((d) => (!f.zone || d.zone_id === f.zone) && (!f.tag || d.tags.includes(f.tag))
      && (!f.model_version || String(d.model_version) === f.model_version));
    const mode = colourBy.value;
    legendFor(mode);
    const dots = rows.map((d) => ({
      ...d,
      colour: mode === "health" ? HEALTH_COLOURS[d.health] : categoryColour(bands, d.category),
      title: `${d.id}: ${d.health}, PM2.5 ${fmtNum(d.pm25)} µg/m³, AQI ${d.aqi ?? "—"}`,
    }));
    const shown = drawMap(svg, {
      devices: dots, zones: f.zone ? zones.filter((z) => z.id === f.zone) : zones,
      tileUrl: ctx.config.tile_url, onSelect: (id) => { location.hash = `#/device/${encodeURIComponent(id)}`; },
    });
    svg.dataset.devices = String(shown);
    list.replaceChildren(table([
      { label: "Device", cell: (d) => h("a", { href: `#/device/${encodeURIComponent(d.id)}`, class: "device-link" }, d.id) },
      { label: "Health", cell: (d) => h("span", { class: `pill ${d.health}` }, d.health.replace("_", " ")) },
      { label: "PM2.5", cell: (d) => fmtNum(d.pm25) },
      { label: "AQI", cell: (d) => d.aqi === null ? "—" : h("span", { class: "aqi", style: `background:${aqiColour(bands, d.aqi)}`, title: aqiBand(bands, d.aqi)?.label }, d.aqi) },
      { label: "Zone", cell: (d) => d.zone_id ?? "—" },
      { label: "Model", cell: (d) => d.model_version ?? "—" },
      { label: "Last reading", cell: (d) => fmtAgo(d.captured_at) },
    ], rows, "No device matches."));
  }
  return { refresh };
}
