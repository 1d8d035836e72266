// Device page: PM2.5 chart over a chosen range (±sd band, reference overlay, gaps), health
// timeline from heartbeats, model and backend, last sample crop, recent commands and acks.
import { api, query } from "../api.js";
import { categoryColour } from "../aqi.js";
import { bucketPoints, lineChart, pm25Chart, rawPoints } from "../chart.js";
import { fmtAgo, fmtNum, fmtTime, h, table } from "../dom.js";

const RANGES = { "1 h": 3600, "6 h": 6 * 3600, "24 h": 86400, "7 d": 7 * 86400 };
const REFERENCE_KM = 0.5;
// Up to this range the chart shows every reading with its ±sd; beyond, about 1,000 interval means.
const RAW_MAX_S = 86400;

function km(a, b) {
  const rad = Math.PI / 180;
  const dlat = (b.lat - a.lat) * rad;
  const dlon = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  return 6371 * Math.hypot(dlat, dlon);
}

function width(el) {
  return Math.max(280, Math.min(1100, el.clientWidth - 8));
}

export async function render(root, ctx) {
  const id = ctx.args[0];
  const device = await api(`/devices/${encodeURIComponent(id)}`);
  let range = 6 * 3600;
  const info = h("dl", { class: "facts", id: "device-facts" });
  const rangeBar = h("div", { class: "range", role: "group", "aria-label": "Range" },
    Object.entries(RANGES).map(([label, secs]) => h("button", {
      type: "button", class: secs === range ? "on" : "", "data-range": secs,
      onclick: (ev) => {
        range = secs;
        rangeBar.querySelectorAll("button").forEach((b) => b.classList.toggle("on", b === ev.target));
        refresh();
      },
    }, label)));
  const chartBox = h("div", { class: "chart", id: "pm25-chart" });
  const chartNote = h("p", { class: "muted", id: "chart-note" });
  const healthBox = h("div", { id: "health" });
  const sampleBox = h("div", { id: "sample" });
  const commandsBox = h("div", { id: "commands" });
  const driftBox = h("div", { id: "drift" });
  const actions = h("div", { class: "actions" });
  if (ctx.can("operator")) {
    const send = (type) => async () => {
      try {
        await api(`/devices/${encodeURIComponent(id)}/commands`, { method: "POST", body: { type } });
        ctx.say(`${type} sent to ${id}`);
        refresh();
      } catch (e) { ctx.say(`Could not send ${type}: ${e.detail ?? e}`, "error"); }
    };
    actions.append(h("button", { id: "request-sample", onclick: send("capture_sample") }, "Request sample"),
      h("button", { id: "ping", class: "secondary", onclick: send("ping") }, "Ping"));
  }
  root.append(h("p", {}, h("a", { href: "#/fleet" }, "← Fleet")), h("h1", {}, device.name || device.id),
    info, h("section", { class: "card" }, h("h2", {}, "PM2.5"), rangeBar, chartBox, chartNote),
    h("section", { class: "card" }, h("h2", {}, "Health"), healthBox),
    h("div", { class: "cols" },
      h("section", { class: "card" }, h("h2", {}, "Last sample"), sampleBox),
      h("section", { class: "card" }, h("h2", {}, "Commands"), actions, commandsBox)),
    h("section", { class: "card" }, h("h2", {}, "Drift"), driftBox));
  const monitors = device.lat === null ? [] : (await api("/monitors"))
    .filter((m) => km(device, m) <= REFERENCE_KM);
  let charts = [];

  function facts(d) {
    const hb = d.last_heartbeat ?? {};
    const rows = [["Status", d.status], ["Zone", d.zone_id ?? "—"], ["Tags", d.tags.join(", ") || "—"],
      ["Model", d.model_label ? `${d.model_label} (v${d.model_version})` : "—"],
      ["Backend", d.backend ? `${d.backend}${hb.backend_why ? ` — ${hb.backend_why}` : ""}` : "—"],
      ["Agent", hb.agent ?? "—"], ["Last seen", fmtAgo(d.last_seen_at)], ["Outbox", d.outbox_depth ?? "—"],
      ["Coordinates", d.lat === null ? "—" : `${d.lat.toFixed(5)}, ${d.lon.toFixed(5)}`]];
    info.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]));
  }

  async function drawHealth(start, end) {
    const beats = await api(`/devices/${encodeURIComponent(id)}/heartbeats${query({ start, end })}`);
    healthBox.replaceChildren();
    if (!beats.length) { healthBox.append(h("p", { class: "muted" }, "No heartbeat in this range.")); return; }
    const xs = beats.map((b) => b.received_at);
    const reasons = [...new Set(beats.flatMap((b) => Object.keys(b.heartbeat.rejected ?? {})))].sort();
    const palette = ["#c8322f", "#e0a100", "#8f3f97", "#1f5fa8", "#2e9d4f", "#555"];
    const boxes = [h("div", { class: "chart", id: "health-outbox" }), h("div", { class: "chart", id: "health-latency" }),
      h("div", { class: "chart", id: "health-rejected" })];
    healthBox.append(...boxes);
    const w = width(healthBox);
    charts.push(lineChart(boxes[0], "Outbox depth (readings)", xs,
      [{ label: "outbox", colour: "#1f5fa8", values: beats.map((b) => b.heartbeat.outbox) }], w, 160));
    charts.push(lineChart(boxes[1], "Inference latency (ms)", xs, [
      { label: "p50", colour: "#2e9d4f", values: beats.map((b) => b.heartbeat.lat_ms?.p50 ?? null) },
      { label: "p95", colour: "#e0a100", values: beats.map((b) => b.heartbeat.lat_ms?.p95 ?? null) }], w, 160));
    charts.push(lineChart(boxes[2], "Rejected frames since start, by reason", xs, reasons.length
      ? reasons.map((r, i) => ({ label: r, colour: palette[i % palette.length], values: beats.map((b) => b.heartbeat.rejected?.[r] ?? 0) }))
      : [{ label: "none", colour: "#8a8f98", values: beats.map(() => 0) }], w, 160));
    const errors = beats[beats.length - 1].heartbeat.errors ?? [];
    if (errors.length) healthBox.append(h("p", { class: "error" }, `Current problems: ${errors.join("; ")}`));
  }

  async function drawSample() {
    const sample = await api(`/devices/${encodeURIComponent(id)}/samples/latest`);
    sampleBox.replaceChildren(sample
      ? h("figure", {}, h("img", { src: `data:image/jpeg;base64,${sample.jpeg_b64}`, alt: `Sample crop of ${id}`, width: sample.width, height: sample.height }),
        h("figcaption", {}, `${sample.width}×${sample.height}, captured ${fmtTime(sample.captured_at)}`))
      : h("p", { class: "muted" }, "No sample captured yet."));
  }

  // Closed loop: what each check compares (docs/closed-loop.md, "Drift watch"). PSI against the
  // training data is shown, not alerted: one camera sees a slice of the 500 training cameras.
  const KINDS = {
    change: "vs its own earlier weeks", outside: "share outside the training range",
    error: "vs reference monitor", training: "vs training data (info)",
  };
  async function drawDrift() {
    const [rows, fleet] = await Promise.all([api(`/loop/devices/${encodeURIComponent(id)}/drift`),
      api("/loop/drift/fleet")]);
    const mine = fleet.filter((r) => r.model_version === device.model_version);
    driftBox.replaceChildren(table([
      { label: "Signal", cell: (r) => r.signal }, { label: "Check", cell: (r) => KINDS[r.kind] ?? r.kind },
      { label: "Statistic", cell: (r) => fmtNum(r.statistic) },
      { label: "Threshold", cell: (r) => r.kind === "training" ? "—" : fmtNum(r.threshold) },
      { label: "n", cell: (r) => String(r.n) }, { label: "Against", cell: (r) => r.baseline },
      { label: "State", cell: (r) => r.kind === "training" ? "info" : r.drifted ? "drifted" : "ok" },
      { label: "At", cell: (r) => fmtTime(r.at) },
    ], rows, "No drift check yet (needs enough readings)."),
    h("h3", {}, "Fleet on this model vs its training data"),
    table([
      { label: "Signal", cell: (r) => r.signal }, { label: "PSI", cell: (r) => fmtNum(r.statistic) },
      { label: "Threshold", cell: (r) => fmtNum(r.threshold) }, { label: "Devices", cell: (r) => String(r.devices) },
      { label: "State", cell: (r) => r.drifted ? "drifted" : "ok" }, { label: "At", cell: (r) => fmtTime(r.at) },
    ], mine, "Not compared (too few devices on this model, or no training reference)."));
  }

  async function refresh() {
    const end = Math.floor(Date.now() / 1000) + 1;
    const start = end - range;
    const [d, raw, commands, refs] = await Promise.all([
      api(`/devices/${encodeURIComponent(id)}`),
      range <= RAW_MAX_S
        ? api(`/devices/${encodeURIComponent(id)}/readings${query({ start, end, limit: 20000 })}`)
        : api(`/readings/downsampled${query({ device_id: id, start, end, interval_s: Math.max(60, Math.round(range / 1000 / 60) * 60) })}`),
      api(`/devices/${encodeURIComponent(id)}/commands`),
      monitors.length ? api(`/monitors/${encodeURIComponent(monitors[0].id)}/readings${query({ start, end })}`) : null,
    ]);
    facts(d);
    charts.forEach((c) => c.destroy());
    charts = [];
    chartBox.replaceChildren();
    const series = raw.buckets ? bucketPoints(raw) : rawPoints(raw);
    charts.push(pm25Chart(chartBox, series, refs, width(chartBox)));
    const points = series.points.length;
    chartBox.dataset.points = String(points);
    const last = raw.readings ? raw.readings[raw.readings.length - 1] : null;
    chartNote.replaceChildren(raw.buckets ? `${points} intervals of ${raw.interval_s / 60} min (mean, band min–max)` : `${points} readings (band ±sd)`,
      raw.truncated ? " (truncated: narrow the range)" : "",
      `, ${raw.gaps.length} gap records`, monitors.length ? `, reference: ${monitors[0].name || monitors[0].id}` : ", no co-located reference monitor",
      last ? h("span", {}, " — latest ", h("span", { class: "aqi", style: `background:${categoryColour(ctx.config.aqi_bands, last.aqi)}` }, `${fmtNum(last.pm25)} µg/m³, ${ctx.config.aqi_bands[last.aqi]?.label ?? ""}`)) : "");
    await Promise.all([drawHealth(start, end), drawSample(), drawDrift()]);
    commandsBox.replaceChildren(table([
      { label: "Issued", cell: (c) => fmtTime(c.issued_at) }, { label: "Type", cell: (c) => c.type },
      { label: "By", cell: (c) => c.issued_by },
      { label: "Ack", cell: (c) => c.acked_at === null ? "pending" : c.ok ? "ok" : `refused: ${c.reason ?? ""}` },
    ], commands.slice(0, 10), "No commands sent."));
  }
  return { refresh, dispose: () => charts.forEach((c) => c.destroy()) };
}
