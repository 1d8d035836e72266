// Login with the hub's users: the session token goes to sessionStorage (gone with the tab).
import { api, session } from "../api.js";
import { h } from "../dom.js";

export function render(root, { onLogin }) {
  const error = h("p", { class: "error", role: "alert" });
  const user = h("input", { name: "username", autocomplete: "username", required: true });
  const pass = h("input", {
    name: "password", type: "password", autocomplete: "current-password", required: true,
  });
  const form = h("form", { class: "card login", id: "login-form" },
    h("h1", {}, "Sign in"),
    h("label", {}, "User", user),
    h("label", {}, "Password", pass),
    h("button", { type: "submit" }, "Sign in"),
    error);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    try {
      const out = await api("/auth/login", {
        method: "POST", body: { username: user.value, password: pass.value },
      });
      session.token = out.access_token;
      location.hash = "#/fleet";
      await onLogin();
    } catch (e) {
      error.textContent = e.status === 429 ? `Too many tries: ${e.detail}` : "Wrong user or password.";
    }
  });
  root.append(form);
  user.focus();
}
