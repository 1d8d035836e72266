// Analytics: zone trends (hourly mean/median/p95), a daily AQI calendar, and alert history with
// each alert's delivery (failed notices can be re-sent by operators).
import { api, query } from "../api.js";
import { aqiBand, aqiColour } from "../aqi.js";
import { lineChart } from "../chart.js";
import { fmtNum, fmtTime, h, table } from "../dom.js";

const DAY = 86400;

function calendar(days, bands, start, count) {
  const byDay = new Map(days.map((d) => [d.start, d]));
  const cells = [];
  const first = new Date(start * 1000).getUTCDay();
  for (let i = 0; i < first; i++) cells.push(h("div", { class: "day blank" }));
  for (let i = 0; i < count; i++) {
    const t = start + i * DAY;
    const d = byDay.get(t);
    const label = new Date(t * 1000).toISOString().slice(5, 10);
    cells.push(h("div", {
      class: d ? "day" : "day empty", "data-day": t,
      style: d ? `background:${aqiColour(bands, d.aqi)}` : "",
      title: d ? `${label}: AQI ${d.aqi} (${aqiBand(bands, d.aqi).label}), mean ${fmtNum(d.mean_pm25)} µg/m³, ${d.count} readings` : `${label}: no data`,
    }, h("small", {}, label.slice(3)), d ? h("b", {}, d.aqi) : ""));
  }
  return h("div", { class: "calendar", id: "aqi-calendar" },
    ["S", "M", "T", "W", "T", "F", "S"].map((w) => h("div", { class: "dow" }, w)), cells);
}

// What went wrong with an alert's notices (failed or left pending), or "sent".
function delivery(e, ctx, resend) {
  if (!e.deliveries.length) return h("span", { class: "muted" }, "–");
  const bad = e.deliveries.filter((d) => d.state === "failed" || d.state === "pending");
  if (!bad.length) return h("span", { class: "delivery-ok" }, "sent");
  return h("span", { class: "delivery-failed", "data-event": e.id },
    bad.map((d) => h("span", { class: "error", title: d.last_error ?? "" },
      `${d.channel} (${d.notice}) ${d.state} after ${d.attempts} tries${d.last_error ? `: ${d.last_error}` : ""} `)),
    ctx.can("operator") ? h("button", { class: "secondary", "data-resend": e.id, onclick: () => resend(e.id) }, "Re-send") : "");
}

export async function render(root, ctx) {
  const zones = await api("/zones");
  const zone = h("select", { name: "zone", id: "analytics-zone" },
    zones.map((z) => h("option", { value: z.id }, z.name || z.id)));
  const trend = h("div", { class: "chart", id: "zone-trend" });
  const trendNote = h("p", { class: "muted" });
  const cal = h("div", {});
  const alerts = h("div", { id: "alert-history" });
  root.append(h("h1", {}, "Analytics"),
    zones.length ? h("label", { class: "inline" }, "Zone ", zone) : h("p", { class: "muted" }, "No zones defined: trends and calendar are per zone."),
    h("section", { class: "card" }, h("h2", {}, "Hourly PM2.5, last 48 h"), trend, trendNote),
    h("section", { class: "card" }, h("h2", {}, "Daily AQI, last 28 days"), cal),
    h("section", { class: "card" }, h("h2", {}, "Alerts"), alerts));
  zone.addEventListener("change", () => refresh());
  let plot = null;

  async function refresh() {
    const now = Math.floor(Date.now() / 1000);
    const dayStart = Math.floor(now / DAY) * DAY;
    const calStart = dayStart - 27 * DAY;
    const jobs = [api("/alerts/events?limit=50"), api("/alerts/rules")];
    if (zones.length) {
      jobs.push(api(`/analytics/hourly${query({ zone: zone.value, start: now - 48 * 3600, end: now + 1 })}`),
        api(`/analytics/daily-aqi${query({ zone: zone.value, start: calStart, end: dayStart + DAY })}`));
    }
    const [events, rules, hourly, daily] = await Promise.all(jobs);
    if (hourly) {
      plot?.destroy();
      trend.replaceChildren();
      const hs = hourly.hours;
      plot = lineChart(trend, "", hs.map((x) => x.start), [
        { label: "mean", colour: "#1f5fa8", values: hs.map((x) => x.mean) },
        { label: "median", colour: "#2e9d4f", values: hs.map((x) => x.median) },
        { label: "p95", colour: "#c8322f", values: hs.map((x) => x.p95) },
      ], Math.max(280, Math.min(1100, trend.clientWidth - 8)), 240);
      trend.dataset.points = String(hs.length);
      trendNote.textContent = `${hs.length} hours with readings from ${hourly.device_ids.length} devices${hourly.truncated ? " (truncated)" : ""}`;
      cal.replaceChildren(calendar(daily.days, ctx.config.aqi_bands, calStart, 28));
    }
    const ruleName = new Map(rules.map((r) => [r.id, r.name]));
    alerts.replaceChildren(table([
      { label: "Fired", cell: (e) => fmtTime(e.fired_at) },
      { label: "Resolved", cell: (e) => (e.resolved_at ? fmtTime(e.resolved_at) : h("b", {}, "active")) },
      { label: "Rule", cell: (e) => ruleName.get(e.rule_id) ?? e.rule_id },
      { label: "Device", cell: (e) => h("a", { href: `#/device/${encodeURIComponent(e.device_id)}` }, e.device_id) },
      { label: "Message", cell: (e) => e.message },
      { label: "Delivery", cell: (e) => delivery(e, ctx, resend) },
    ], events, "No alert has fired."));
  }

  async function resend(id) {
    try {
      const e = await api(`/alerts/events/${id}/redeliver`, { method: "POST" });
      const still = e.deliveries.filter((d) => d.state === "failed");
      ctx.say(still.length ? `Re-send failed again: ${still[0].last_error}` : "Re-sent", still.length ? "error" : undefined);
    } catch (err) { ctx.say(`Re-send refused: ${err.detail}`, "error"); }
    refresh();
  }
  return { refresh, dispose: () => plot?.destroy() };
}
