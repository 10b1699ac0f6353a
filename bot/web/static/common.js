// Shared by both pages: fetch with the admin cookie, and the status banner.
// All text from the server is inserted with textContent, never as HTML.

export const RETRY_MS = 3000;
const STATUS_EVERY_MS = 10000;
const TRANSPORT_NAMES = { simulator: "本地模拟群聊", wechaty: "微信", wechat: "微信" };

export class AuthError extends Error {}

// What the banner shows; `status` is the last answer of /api/status.
export const connection = { status: null, connected: true, authLost: false };

export const $ = (id) => document.getElementById(id);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

// Opened from the office console (a district 管理员's session, not the token link): writes
// carry the session's CSRF token, read once from the console's /me.
let officeCsrf;
async function csrfToken() {
  if (officeCsrf === undefined) {
    officeCsrf = null;
    try {
      const me = await fetch("/console/api/me", { credentials: "same-origin" });
      if (me.ok) officeCsrf = (await me.json()).csrf;
    } catch (_) { /* the token link needs none */ }
  }
  return officeCsrf;
}

export async function api(path, options = {}) {
  const init = { credentials: "same-origin", ...options };
  if (init.body !== undefined) {
    init.headers = { "Content-Type": "application/json", ...(init.headers || {}) };
  }
  if (init.method && init.method !== "GET") {
    const csrf = await csrfToken();
    if (csrf) init.headers = { ...(init.headers || {}), "X-CSRF-Token": csrf };
  }
  const response = await fetch(path, init);
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null;
  }
  if (response.status === 401) {
    connection.authLost = true;
    renderBanner();
    throw new AuthError((data && data.error) || "请登录办公室控制台，或使用启动时打印的链接打开");
  }
  if (!response.ok) {
    throw new Error((data && data.error) || `请求失败（${response.status}），请稍后重试。`);
  }
  return data;
}

export function setConnected(connected) {
  if (connection.connected === connected) return;
  connection.connected = connected;
  renderBanner();
}

export function renderBanner() {
  const banner = $("banner");
  if (!banner) return;
  let level = "ok";
  const parts = [];
  if (connection.authLost) {
    level = "danger";
    parts.push("登录已失效：请重新登录办公室控制台（/console），或使用启动时打印的链接打开。");
  } else if (!connection.connected) {
    level = "danger";
    parts.push("与服务器的连接中断，正在重试…");
  } else if (connection.status) {
    const s = connection.status;
    const transport = TRANSPORT_NAMES[s.transport] || s.transport;
    if (!s.logged_in) {
      level = "danger";
      parts.push(`聊天通道：${transport}，未登录，机器人暂时收发不了消息。`);
    } else {
      parts.push(`聊天通道：${transport}，已连接。`);
    }
    if (s.problem) {
      if (level === "ok") level = "warn";
      parts.push(s.problem);
    }
    if (s.unknown_rooms && s.unknown_rooms.length) {
      if (level === "ok") level = "warn";
      parts.push(`这些群未绑定网格，机器人不处理：${s.unknown_rooms.join("、")}`);
    }
    if (s.absent_rooms && s.absent_rooms.length) {
      if (level === "ok") level = "warn";
      parts.push(`机器人不在这些花名册群里，请把它拉进群：${s.absent_rooms.join("、")}`);
    }
    if (s.outbox_failed) {
      if (level === "ok") level = "warn";
      parts.push(`有 ${s.outbox_failed} 条消息发送失败（见日志），请核实后手动补发。`);
    }
    if (s.outbox_waiting > 20) {
      parts.push(`发件箱待发 ${s.outbox_waiting} 条（按限速发送中）。`);
    }
  } else {
    parts.push("正在连接…");
  }
  banner.className = `banner banner-${level}`;
  banner.textContent = parts.join(" ");
}

export async function refreshStatus() {
  for (;;) {
    try {
      connection.status = await api("/api/status");
      connection.connected = true;
    } catch (err) {
      if (err instanceof AuthError) return;
      connection.connected = false;
    }
    renderBanner();
    await sleep(STATUS_EVERY_MS);
  }
}
