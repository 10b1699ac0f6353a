// The console shell: who is signed in, the hash router, the live feed (Server-Sent Events).
import { api, flash, h, state } from "./lib.js";
import { dashboard } from "./dashboard.js";
import { ticketList, ticketDetail } from "./tickets.js";
import { alertDesk, reportShelf, users, auditLog } from "./desk.js";
import { rosterUpload } from "./roster.js";
import { publicQueue } from "./triage.js";

const views = {
  dashboard, tickets: ticketList, ticket: ticketDetail, public: publicQueue,
  roster: rosterUpload, alert: alertDesk, report: reportShelf, users, audit: auditLog,
};
let current = null;

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, search] = raw.split("?");
  const [name, arg] = (path || "dashboard").split("/");
  return { name: views[name] ? name : "dashboard", arg: arg ? decodeURIComponent(arg) : "", params: new URLSearchParams(search || "") };
}

export async function render() {
  const route = parseHash();
  for (const link of document.querySelectorAll("#nav a[data-view]")) {
    const active = link.dataset.view === route.name || (route.name === "ticket" && link.dataset.view === "tickets");
    link.classList.toggle("active", active);
  }
  const main = document.getElementById("view");
  try {
    current = await views[route.name](route);
    main.replaceChildren(current.node);
  } catch (error) {
    main.replaceChildren(h("p", { class: "error" }, error.message));
  }
  renderScope();
}

export function setScope(code, name) {
  state.grid = code;
  state.gridName = name;
  renderScope();
}

function renderScope() {
  const bar = document.getElementById("scope-bar");
  bar.hidden = !state.grid;
  document.getElementById("scope-name").textContent = state.gridName;
}

// A busy district changes every few seconds: refresh at most every few seconds, and once
// more after the last change, so the page is never more than that behind.
const REFRESH_GAP_MS = 4000;
let lastRefresh = 0;
let pending = null;

async function refreshNow() {
  pending = null;
  lastRefresh = Date.now();
  if (current && current.refresh) {
    try { await current.refresh(); } catch (_) { /* the next change tries again */ }
  }
}

function live() {
  const source = new EventSource("/console/api/events");
  source.addEventListener("change", () => {
    if (pending) return;
    const wait = Math.max(0, lastRefresh + REFRESH_GAP_MS - Date.now());
    pending = setTimeout(refreshNow, wait);
  });
}

async function start() {
  state.me = await api("/console/api/me");
  state.meta = await api("/console/api/meta");
  document.getElementById("who").textContent = `${state.me.name}（${state.me.role_name}，${state.me.scope}）`;
  document.getElementById("simulator-link").hidden = !(state.me.simulator && state.me.may_act);
  for (const link of document.querySelectorAll(".admin-only")) link.hidden = !state.me.may_act;
  const district = state.me.may_act && !state.me.scope_code;
  for (const link of document.querySelectorAll(".district-only")) link.hidden = !district;
  document.getElementById("logout").addEventListener("click", async () => {
    await api("/console/api/logout", { method: "POST" });
    location.assign("/console/login");
  });
  document.getElementById("scope-clear").addEventListener("click", () => {
    setScope("", "");
    render();
  });
  window.addEventListener("hashchange", render);
  live();
  await render();
}

start().catch((error) => flash(error.message, "bad"));
