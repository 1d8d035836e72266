// The console shell: config, login state, hash router, and the live-refresh loop.
import { api, ApiError, openapiPaths, session } from "./api.js";
import { h } from "./dom.js";
import * as analytics from "./pages/analytics.js";
import * as device from "./pages/device.js";
import * as fleet from "./pages/fleet.js";
import * as login from "./pages/login.js";
import * as provisioning from "./pages/provisioning.js";
import * as report from "./pages/report.js";

const ROLE_RANK = { viewer: 0, operator: 1, admin: 2 };
const PAGES = { fleet, device, analytics, provisioning, report };

const state = { config: null, me: null, features: new Set(), page: null, timer: null, seq: 0 };

export function can(role) {
  return state.me !== null && ROLE_RANK[state.me.role] >= ROLE_RANK[role];
}

function say(text, kind = "info") {
  const el = document.getElementById("status");
  el.textContent = text;
  el.dataset.kind = kind;
}

function stop() {
  clearInterval(state.timer);
  state.timer = null;
  if (state.page?.dispose) state.page.dispose();
  state.page = null;
}

async function refresh(seq) {
  if (!state.page?.refresh || seq !== state.seq) return;
  try {
    await state.page.refresh();
    if (seq === state.seq) say(`Updated ${new Date().toLocaleTimeString()}`);
  } catch (e) {
    say(e instanceof ApiError ? `Refresh failed: ${e.detail}` : `Refresh failed: ${e}`, "error");
  }
}

async function route() {
  stop();
  const seq = ++state.seq;
  const main = document.getElementById("main");
  const [name = "fleet", ...args] = location.hash.replace(/^#\/?/, "").split("/");
  if (!session.token || name === "login") {
    showNav(false);
    main.replaceChildren();
    login.render(main, { onLogin: start });
    return;
  }
  let module = PAGES[name];
  if (name === "rollouts" && state.features.has("rollouts")) {
    module = await import("./pages/rollouts.js");
  }
  if (!module) { location.hash = "#/fleet"; return; }
  const parent = { device: "fleet", report: "rollouts" }[name] ?? name;
  for (const a of document.querySelectorAll("#nav a")) {
    a.classList.toggle("active", a.dataset.page === parent);
  }
  main.replaceChildren();
  const ctx = { config: state.config, me: state.me, can, say, args: args.map(decodeURIComponent) };
  try {
    const page = await module.render(main, ctx);
    if (seq !== state.seq) { page?.dispose?.(); return; }
    state.page = page ?? null;
    await refresh(seq);
    state.timer = setInterval(() => refresh(seq), state.config.poll_s * 1000);
  } catch (e) {
    main.append(h("p", { class: "error" }, `Could not load this page: ${e.detail ?? e}`));
  }
}

function showNav(visible) {
  document.getElementById("nav").hidden = !visible;
  const who = document.getElementById("who");
  who.replaceChildren();
  if (!visible || !state.me) return;
  for (const a of document.querySelectorAll("#nav a[data-role]")) a.hidden = !can(a.dataset.role);
  for (const a of document.querySelectorAll("#nav a[data-feature]")) {
    a.hidden = !state.features.has(a.dataset.feature);
  }
  who.append(`${state.me.username} (${state.me.role}) `,
    h("button", { class: "link", id: "logout", onclick: logout }, "Log out"));
}

async function logout() {
  try { await api("/auth/logout", { method: "POST" }); } catch { /* session already gone */ }
  session.token = null;
  state.me = null;
  location.hash = "#/login";
  route();
}

async function start() {
  state.me = null;
  if (session.token) {
    try {
      state.me = await api("/auth/me");
    } catch {
      session.token = null;
    }
  }
  if (state.me) {
    const paths = await openapiPaths();
    if (paths.some((p) => p.startsWith("/api/v1/rollouts"))) state.features.add("rollouts");
    showNav(true);
    if (!location.hash || location.hash === "#/login") location.hash = "#/fleet";
  }
  route();
}

window.addEventListener("hashchange", route);
window.addEventListener("console:logout", () => { state.me = null; location.hash = "#/login"; });
state.config = await (await fetch("/console/config.json")).json();
start();
