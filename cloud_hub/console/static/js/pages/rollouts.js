// Models and rollouts: releases with metrics and model cards, shadow agreement and reference
// error per version side by side, retrain reports (promoted and refused), rollouts with stage
// progress and live gate values, the transitions the hub allows in each state (operator+), and
// per-device update status. A release and its rollouts link the report that promoted it.
import { api } from "../api.js";
import { fmtNum, fmtTime, h, table } from "../dom.js";
import { decisionBadge, headline, reportHref } from "./report.js";

// Which transitions the hub's state machine allows from each state (cloud_hub.rollouts.machine).
const ACTIONS = {
  draft: ["start", "abort"],
  running: ["advance", "pause", "abort", "rollback"],
  paused: ["resume", "abort", "rollback"],
};
const LABELS = { start: "Start", advance: "Advance stage", pause: "Pause", resume: "Resume", abort: "Abort", rollback: "Roll back" };

function kv(obj) {
  if (!obj) return "—";
  const show = (v) => (typeof v !== "number" ? JSON.stringify(v) : Number.isInteger(v) ? v : fmtNum(v, 3));
  return Object.entries(obj).map(([k, v]) => `${k}: ${show(v)}`).join(" · ");
}

function createForm(ctx, onCreated) {
  const f = (label, name, attrs = {}) => h("label", {}, label, h("input", { name, ...attrs }));
  const form = h("form", { class: "grid-form", id: "create-rollout" },
    f("Model", "model_name", { required: true, value: "pm25-haze" }),
    f("Version", "version", { type: "number", min: 1, required: true }),
    f("Stages (cumulative fractions)", "stages", { value: "0.05, 0.25, 1" }),
    f("Tags (all of)", "tags"), f("Zones (any of)", "zones"),
    f("Min shadow agreement", "min_shadow_agreement", { type: "number", step: "0.01", min: 0, max: 1, value: "0.8" }),
    f("Max failure rate", "max_failure_rate", { type: "number", step: "0.01", min: 0, max: 1, value: "0.1" }),
    h("label", {}, "Mode", h("select", { name: "mode" }, h("option", { value: "auto" }, "auto (gates advance)"), h("option", { value: "manual" }, "manual"))),
    h("label", {}, "On failure", h("select", { name: "on_failure" }, h("option", { value: "pause" }, "pause"), h("option", { value: "roll_back" }, "roll back"))),
    h("button", { type: "submit" }, "Create and start"));
  const list = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const v = Object.fromEntries(new FormData(form));
    const body = {
      model_name: v.model_name, version: Number(v.version), start: true,
      spec: {
        selector: { tags: list(v.tags), zones: list(v.zones) },
        stages: { fractions: list(v.stages).map(Number) },
        gates: { min_shadow_agreement: v.min_shadow_agreement === "" ? null : Number(v.min_shadow_agreement), max_failure_rate: Number(v.max_failure_rate) },
        mode: v.mode, on_failure: v.on_failure,
      },
    };
    try {
      const r = await api("/rollouts", { method: "POST", body });
      ctx.say(`Rollout ${r.id} created`);
      onCreated(r.id);
    } catch (e) { ctx.say(`Rollout not created: ${e.detail}`, "error"); }
  });
  return form;
}

export async function render(root, ctx) {
  let selected = ctx.args[0] ?? null;
  const releases = h("div", { id: "releases" });
  const quality = h("div", { id: "quality" });
  const reports = h("div", { id: "retrain-reports" });
  const rollouts = h("div", { id: "rollouts" });
  const detail = h("div", { id: "rollout-detail" });
  root.append(h("h1", {}, "Models and rollouts"),
    h("section", { class: "card" }, h("h2", {}, "Releases"), releases),
    h("section", { class: "card" }, h("h2", {}, "Quality per model version (shadow runs, reference monitors)"), quality),
    h("section", { class: "card" }, h("h2", {}, "Retrain reports"), reports));
  if (ctx.can("operator")) {
    root.append(h("section", { class: "card" }, h("h2", {}, "New rollout"),
      createForm(ctx, (id) => { selected = id; refresh(); })));
  }
  root.append(h("section", { class: "card" }, h("h2", {}, "Rollouts"), rollouts),
    h("section", { class: "card" }, h("h2", {}, "Rollout devices"), detail));

  async function act(id, action) {
    try {
      await api(`/rollouts/${encodeURIComponent(id)}/${action}`, { method: "POST" });
      ctx.say(`${LABELS[action]}: done`);
      refresh();
    } catch (e) { ctx.say(`${LABELS[action]} refused: ${e.detail}`, "error"); }
  }

  async function refresh() {
    const [rels, rolls, reps] = await Promise.all([api("/releases"), api("/rollouts"), api("/retrain-reports?limit=100")]);
    const reportOf = (name, version) => reps.find((r) => r.promoted && r.model_name === name && r.challenger_version === version);
    const reportLink = (name, version) => {
      const r = reportOf(name, version);
      return r ? h("a", { href: reportHref(r.id), "data-report-for": `${name}:${version}` }, "report") : "—";
    };
    releases.replaceChildren(rels.length ? table([
      { label: "Model", cell: (r) => r.name }, { label: "Version", cell: (r) => `v${r.version}${r.current ? " (current)" : ""}` },
      { label: "Label", cell: (r) => r.label ?? "—" }, { label: "Metrics", cell: (r) => kv(r.metrics) },
      { label: "Model card", cell: (r) => r.model_card ? h("details", {}, h("summary", {}, "card"), h("pre", { class: "card-text" }, r.model_card)) : "—" },
      { label: "Retrain report", cell: (r) => reportLink(r.name, r.version) },
    ], rels) : h("p", { class: "muted" }, "No published releases (the hub has no update repository configured, or it is empty)."));
    const names = [...new Set([...rels.map((r) => r.name), ...rolls.map((r) => r.model_name)])].sort();
    const perName = await Promise.all(names.map((n) => api(`/releases/${encodeURIComponent(n)}/quality`)));
    const rows = names.flatMap((n, i) => perName[i].map((q) => ({ name: n, ...q })));
    quality.replaceChildren(table([
      { label: "Model", cell: (q) => q.name }, { label: "Version", cell: (q) => `v${q.version}` },
      { label: "Devices", cell: (q) => q.devices }, { label: "Shadow frames", cell: (q) => q.shadow_frames },
      { label: "Shadow agreement", cell: (q) => (q.shadow_agreement === null ? "—" : `${(q.shadow_agreement * 100).toFixed(1)} %`) },
      { label: "Shadow |new−old|", cell: (q) => fmtNum(q.shadow_mad, 2) },
      { label: "Reference MAE", cell: (q) => fmtNum(q.reference_mae, 2) }, { label: "Ref. devices", cell: (q) => q.reference_devices },
    ], rows, "No version has reported shadow or reference figures yet."));
    reports.replaceChildren(table([
      { label: "Uploaded", cell: (r) => h("a", { href: reportHref(r.id), "data-report": r.id }, fmtTime(r.uploaded_at)) },
      { label: "Decision", cell: decisionBadge },
      { label: "Model", cell: (r) => r.model_name },
      { label: "Champion", cell: (r) => `v${r.champion_version}` },
      { label: "Challenger", cell: (r) => (r.promoted ? `v${r.challenger_version}` : "not released") },
      { label: "Held-out field", cell: headline },
      { label: "Trigger", cell: (r) => r.trigger },
    ], reps, "No retrain report yet (pm25-train retrain uploads one per run when given --hub-url)."));
    rollouts.replaceChildren(table([
      { label: "Rollout", cell: (r) => h("button", { class: "link-dark", "data-rollout": r.id, onclick: () => { selected = r.id; refresh(); } }, `${r.model_name} v${r.version}`) },
      { label: "State", cell: (r) => h("span", { class: `pill ${r.state}`, "data-state-of": r.id }, r.state) },
      { label: "Stage", cell: (r) => h("span", { "data-stage-of": r.id }, `${r.stage + 1} / ${r.stages.length} (${Math.round(r.stages[Math.min(r.stage, r.stages.length - 1)] * 100)} %)`) },
      { label: "Devices", cell: (r) => kv(r.devices) }, { label: "Gate", cell: (r) => (r.gate ? `${r.gate.verdict ?? ""} ${kv(r.gate.values)}` : "not evaluated yet") },
      { label: "Mode", cell: (r) => `${r.mode}, on failure ${r.on_failure.replace("_", " ")}` },
      { label: "Report", cell: (r) => reportLink(r.model_name, r.version) },
      { label: "", cell: (r) => ctx.can("operator") ? h("span", { class: "row-actions" }, (ACTIONS[r.state] ?? []).map((a) =>
        h("button", { class: a === "abort" || a === "rollback" ? "danger" : "secondary", "data-action": a, "data-for": r.id, onclick: () => act(r.id, a) }, LABELS[a]))) : "" },
    ], rolls, "No rollouts yet."));
    if (!selected && rolls.length) selected = rolls[0].id;
    if (selected) {
      const d = await api(`/rollouts/${encodeURIComponent(selected)}`);
      detail.replaceChildren(h("p", {}, `${d.model_name} v${d.version} — ${d.state}, created by ${d.created_by} ${fmtTime(d.created_at)}`),
        d.gate?.reasons?.length ? h("p", { class: "error" }, `Gate: ${d.gate.reasons.join("; ")}`) : "",
        table([
          { label: "Device", cell: (x) => h("a", { href: `#/device/${encodeURIComponent(x.device_id)}` }, x.device_id) },
          { label: "Stage", cell: (x) => x.stage + 1 }, { label: "Update", cell: (x) => x.state },
          { label: "Reason", cell: (x) => x.reason ?? "" }, { label: "Shadow", cell: (x) => kv(x.shadow) },
          { label: "Ref. MAE", cell: (x) => fmtNum(x.reference_mae, 2) }, { label: "Updated", cell: (x) => fmtTime(x.updated_at) },
        ], d.device_status, "No device notified yet."));
    } else detail.replaceChildren(h("p", { class: "muted" }, "No rollout selected."));
  }
  return { refresh };
}
