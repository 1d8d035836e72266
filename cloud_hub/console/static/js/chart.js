// PM2.5 chart on uPlot: the estimate, its ±sd band, a reference monitor where one is co-located,
// and gaps shown as gaps — null breaks in the line where readings stop, and shaded intervals for
// the gap records the series store keeps (readings a device lost for good).
import uPlot from "../vendor/uPlot.esm.js";

// Break the line where consecutive readings are further apart than 3× the usual spacing.
export function withBreaks(times, columns) {
  if (times.length < 3) return [times, columns];
  const steps = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
  const limit = Math.max(3 * steps[Math.floor(steps.length / 2)], 1);
  const xs = [times[0]];
  const cols = columns.map((c) => [c[0]]);
  for (let i = 1; i < times.length; i++) {
    if (times[i] - times[i - 1] > limit) {
      xs.push((times[i] + times[i - 1]) / 2);
      cols.forEach((c) => c.push(null));
    }
    xs.push(times[i]);
    cols.forEach((c, j) => c.push(columns[j][i]));
  }
  return [xs, cols];
}

function shadeGaps(gaps) {
  return (u) => {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.fillStyle = "rgba(200, 50, 47, 0.12)";
    for (const g of gaps) {
      const x0 = u.valToPos(g.t_from, "x", true);
      const x1 = u.valToPos(g.t_to, "x", true);
      const left = Math.max(bbox.left, Math.min(x0, x1));
      const right = Math.min(bbox.left + bbox.width, Math.max(x0, x1));
      if (right > left) ctx.fillRect(left, bbox.top, Math.max(right - left, 2), bbox.height);
    }
    ctx.restore();
  };
}

// series: {points: [{t, y, lo, hi}], gaps, label, band}; reference: [{t, pm25}] or null.
export function pm25Chart(el, series, reference, width) {
  const pts = series.points;
  const ref = new Map((reference ?? []).map((r) => [Math.round(r.t), r.pm25]));
  const times = [...new Set([...pts.map((p) => p.t), ...ref.keys()])].sort((a, b) => a - b);
  const byT = new Map(pts.map((p) => [p.t, p]));
  const col = (f) => times.map((t) => (byT.has(t) ? f(byT.get(t)) : null));
  const [xs, [est, lo, hi, refs]] = withBreaks(times, [
    col((p) => p.y), col((p) => p.lo), col((p) => p.hi), times.map((t) => ref.get(t) ?? null),
  ]);
  const gaps = series.gaps.filter((g) => g.t_from !== null && g.t_to !== null);
  const opts = {
    width, height: 280,
    series: [
      {},
      { label: series.label, stroke: "#1f5fa8", width: 2, spanGaps: false },
      { label: `${series.band} low`, stroke: "rgba(31,95,168,0.25)", spanGaps: false },
      { label: `${series.band} high`, stroke: "rgba(31,95,168,0.25)", spanGaps: false },
      { label: "reference", stroke: "#111", dash: [6, 4], width: 1.5, spanGaps: true, show: ref.size > 0 },
    ],
    bands: [{ series: [3, 2], fill: "rgba(31,95,168,0.15)" }],
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(10, max * 1.1)] } },
    axes: [{}, { label: "µg/m³" }],
    hooks: { drawClear: [shadeGaps(gaps)] },
  };
  return new uPlot(opts, [xs, est, lo, hi, refs], el);
}

// The API's RawSeries as chart points: each reading with its ±sd band.
export function rawPoints(raw) {
  return {
    points: raw.readings.map((r) => ({ t: r.captured_at, y: r.pm25, lo: Math.max(0, r.pm25 - r.pm25_sd), hi: r.pm25 + r.pm25_sd })),
    gaps: raw.gaps, label: "PM2.5 µg/m³", band: "±sd",
  };
}

// The API's Downsampled series as chart points: interval means with their min–max band.
export function bucketPoints(down) {
  const half = Math.floor(down.interval_s / 2);
  return {
    points: down.buckets.map((b) => ({ t: b.start + half, y: b.mean, lo: b.min, hi: b.max })),
    gaps: down.gaps, label: `PM2.5 ${Math.round(down.interval_s / 60)}-min mean`, band: "min–max",
  };
}

export function lineChart(el, title, xs, columns, width, height = 200) {
  const series = [{}, ...columns.map((c) => ({ label: c.label, stroke: c.colour, width: 1.5, spanGaps: false }))];
  return new uPlot({ title, width, height, series, scales: { x: { time: true } } },
    [xs, ...columns.map((c) => c.values)], el);
}

export { uPlot };
