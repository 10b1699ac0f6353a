// Shared by the console's views: the API with the CSRF token, element building, messages.
// Everything a user typed is put in with textContent (never as HTML).

export const state = { me: null, meta: null, grid: "", gridName: "" };

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// replaceChildren without the gaps that conditional parts leave (null, false, undefined).
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export class ApiError extends Error {}

export async function api(path, options = {}) {
  const init = { credentials: "same-origin", ...options, headers: { ...(options.headers || {}) } };
  if (init.method && init.method !== "GET") {
    init.headers["X-CSRF-Token"] = state.me ? state.me.csrf : "";
    if (init.body !== undefined && !(init.body instanceof FormData)) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(init.body);
    }
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    location.assign(`/console/login?next=${encodeURIComponent(location.pathname + location.hash)}`);
    throw new ApiError("请先登录。");
  }
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (!response.ok) throw new ApiError((data && data.error) || `出错了（${response.status}），请稍后再试。`);
  return data;
}

let flashTimer = null;
export function flash(text, kind = "ok") {
  const box = document.getElementById("flash");
  box.textContent = text;
  box.className = `flash ${kind}`;
  box.hidden = false;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { box.hidden = true; }, kind === "ok" ? 6000 : 12000);
}

export function pct(rate) {
  return rate === null || rate === undefined ? "—" : `${Math.round(rate * 100)}%`;
}

export function when(value) {
  return value ? value.text : "";
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) q.set(key, value);
  return q.toString();
}
