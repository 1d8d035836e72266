// Provisioning (operator+): add a device and download its config bundle, rotate or revoke
// credentials, browse the quarantine. Users and API tokens: admin only.
import { api, query } from "../api.js";
import { download, fmtTime, h, table } from "../dom.js";

function field(label, name, attrs = {}) {
  return h("label", {}, label, h("input", { name, ...attrs }));
}

function bundleLink(creds) {
  return h("p", { class: "ok", id: "bundle" }, `Credentials for ${creds.device_id} issued (shown once). `,
    h("button", { id: "download-bundle", onclick: () => download(`${creds.device_id}.yaml`, creds.bundle_yaml, "application/yaml") },
      `Download ${creds.device_id}.yaml`));
}

export async function render(root, ctx) {
  if (!ctx.can("operator")) {
    root.append(h("p", { class: "error" }, "Provisioning needs the operator role."));
    return null;
  }
  const result = h("div", { id: "prov-result" });
  const addForm = h("form", { class: "grid-form", id: "add-device" },
    field("Device id", "id", { required: true, maxlength: 64, placeholder: "a-z 0-9 _ -" }), field("Name", "name"),
    field("Latitude", "lat", { type: "number", step: "any", min: -90, max: 90 }),
    field("Longitude", "lon", { type: "number", step: "any", min: -180, max: 180 }),
    field("Zone", "zone_id"), field("Tags (comma separated)", "tags"),
    h("button", { type: "submit" }, "Add device"));
  addForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = Object.fromEntries(new FormData(addForm));
    const body = { id: f.id, name: f.name || undefined, zone_id: f.zone_id || undefined,
      lat: f.lat === "" ? undefined : Number(f.lat), lon: f.lon === "" ? undefined : Number(f.lon),
      tags: f.tags ? f.tags.split(",").map((t) => t.trim()).filter(Boolean) : undefined };
    try {
      result.replaceChildren(bundleLink(await api("/devices", { method: "POST", body })));
      addForm.reset();
      refresh();
    } catch (e) { result.replaceChildren(h("p", { class: "error" }, `Not added: ${e.detail}`)); }
  });
  const devices = h("div", { id: "prov-devices" });
  const quarantine = h("div", { id: "quarantine" });
  root.append(h("h1", {}, "Provisioning"),
    h("section", { class: "card" }, h("h2", {}, "Add a device"), addForm, result),
    h("section", { class: "card" }, h("h2", {}, "Devices and credentials"), devices),
    h("section", { class: "card" }, h("h2", {}, "Quarantine"), quarantine));
  const users = h("div", { id: "users" });
  const tokens = h("div", { id: "tokens" });
  if (ctx.can("admin")) {
    const userForm = h("form", { class: "grid-form", id: "add-user" }, field("User", "username", { required: true }),
      field("Password (≥ 10)", "password", { type: "password", required: true, minlength: 10, autocomplete: "new-password" }),
      h("label", {}, "Role", h("select", { name: "role" }, ["viewer", "operator", "admin"].map((r) => h("option", {}, r)))),
      h("button", { type: "submit" }, "Add user"));
    userForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api("/users", { method: "POST", body: Object.fromEntries(new FormData(userForm)) });
        userForm.reset();
        ctx.say("User added");
        refresh();
      } catch (e) { ctx.say(`User not added: ${e.detail}`, "error"); }
    });
    const tokenForm = h("form", { class: "grid-form", id: "add-token" }, field("Token name", "name", { required: true }),
      h("button", { type: "submit" }, "Create API token"));
    const tokenOut = h("p", { id: "token-out" });
    tokenForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const t = await api("/tokens", { method: "POST", body: { name: new FormData(tokenForm).get("name") } });
        tokenOut.replaceChildren("New token (shown once): ", h("code", {}, t.access_token));
        tokenForm.reset();
        refresh();
      } catch (e) { ctx.say(`Token not created: ${e.detail}`, "error"); }
    });
    root.append(h("section", { class: "card" }, h("h2", {}, "Users"), userForm, users),
      h("section", { class: "card" }, h("h2", {}, "API tokens"), tokenForm, tokenOut, tokens));
  }

  async function act(path, what) {
    if (!window.confirm(`${what}?`)) return;
    try {
      const out = await api(path, { method: "POST" });
      result.replaceChildren(out.bundle_yaml ? bundleLink(out) : h("p", { class: "ok" }, `${what}: done`));
      refresh();
    } catch (e) { result.replaceChildren(h("p", { class: "error" }, `${what} failed: ${e.detail}`)); }
  }

  async function refresh() {
    const jobs = [api("/devices"), api(`/quarantine${query({ limit: 50 })}`)];
    if (ctx.can("admin")) jobs.push(api("/users"), api("/tokens"));
    const [devs, quar, us, toks] = await Promise.all(jobs);
    devices.replaceChildren(table([
      { label: "Device", cell: (d) => h("a", { href: `#/device/${encodeURIComponent(d.id)}` }, d.id) },
      { label: "Status", cell: (d) => d.status }, { label: "Zone", cell: (d) => d.zone_id ?? "—" },
      { label: "", cell: (d) => d.status === "revoked" ? "revoked" : h("span", { class: "row-actions" },
        h("button", { class: "secondary", "data-rotate": d.id, onclick: () => act(`/devices/${encodeURIComponent(d.id)}/credentials`, `Rotate credentials of ${d.id}`) }, "Rotate"),
        h("button", { class: "danger", "data-revoke": d.id, onclick: () => act(`/devices/${encodeURIComponent(d.id)}/revoke`, `Revoke ${d.id}`) }, "Revoke")) },
    ], devs, "No devices."));
    quarantine.replaceChildren(table([
      { label: "Received", cell: (q) => fmtTime(q.received_at) }, { label: "Device", cell: (q) => q.device_id ?? "—" },
      { label: "Reason", cell: (q) => q.reason }, { label: "Detail", cell: (q) => q.detail.slice(0, 120) },
      { label: "Bytes", cell: (q) => q.size },
    ], quar, "Nothing quarantined."));
    if (us) {
      users.replaceChildren(table([{ label: "User", cell: (u) => u.username }, { label: "Role", cell: (u) => u.role },
        { label: "Disabled", cell: (u) => (u.disabled ? "yes" : "no") }], us));
      tokens.replaceChildren(table([{ label: "Name", cell: (t) => t.name }, { label: "Created", cell: (t) => fmtTime(t.created_at) },
        { label: "Last used", cell: (t) => fmtTime(t.last_used_at) },
        { label: "", cell: (t) => t.revoked_at ? "revoked" : h("button", { class: "danger", onclick: async () => {
          try { await api(`/tokens/${t.id}`, { method: "DELETE" }); refresh(); } catch (e) { ctx.say(`Not revoked: ${e.detail}`, "error"); }
        } }, "Revoke") }], toks, "No API tokens."));
    }
  }
  return { refresh };
}
