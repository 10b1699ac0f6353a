// The simulated group chat: groups with unread badges, the conversation (long-polled), and
// the composer that speaks as a roster member.

import { $, AuthError, RETRY_MS, api, connection, el, setConnected, sleep } from "./common.js";
import { loadTickets } from "./tickets.js";

const POLL_WAIT_SECONDS = 25;
// An @mention runs to the next space or punctuation mark (WeChat ends it with a space).
const MENTION = /(@[^\s@，。、：；！？,.:;!?（）()]+)/;

const state = {
  epoch: null,
  last: 0,
  rooms: [],
  lines: new Map(), // room topic -> lines, oldest first
  members: new Map(), // room topic -> roster members
  seen: {}, // room topic -> id of the newest line read there
  selected: null,
  justSent: false,
};

// -- rooms -----------------------------------------------------------------------------------
function unread(topic) {
  const seen = state.seen[topic] || 0;
  return (state.lines.get(topic) || []).filter((line) => line.id > seen).length;
}

function renderRooms() {
  const list = $("room-list");
  list.replaceChildren();
  for (const room of state.rooms) {
    const button = el("button", "room");
    button.type = "button";
    button.dataset.topic = room.topic;
    button.style.setProperty("--depth", String(Math.max(room.level - 1, 0)));
    if (room.topic === state.selected) button.setAttribute("aria-current", "true");
    const name = el("span", "room-name", room.topic);
    const meta = el("span", "room-meta", `${room.level}级 · ${room.grid}`);
    button.append(name, meta);
    const count = unread(room.topic);
    if (count && room.topic !== state.selected) {
      const badge = el("span", "badge", count > 99 ? "99+" : String(count));
      badge.setAttribute("aria-label", `${count} 条未读`);
      button.append(badge);
    }
    button.addEventListener("click", () => selectRoom(room.topic));
    const item = el("li");
    item.append(button);
    list.append(item);
  }
}

async function loadRooms() {
  for (;;) {
    try {
      state.rooms = (await api("/api/rooms")).rooms;
      break;
    } catch (err) {
      if (err instanceof AuthError) return;
      await sleep(RETRY_MS);
    }
  }
  const remembered = localStorage.getItem("gridbot.room");
  const first = state.rooms.find((room) => room.topic === remembered) || state.rooms[0];
  renderRooms();
  if (first) await selectRoom(first.topic);
}

// -- conversation ----------------------------------------------------------------------------
function seenKey() {
  return `gridbot.seen.${state.epoch}`;
}

function markSeen(topic) {
  const lines = state.lines.get(topic) || [];
  if (!lines.length) return;
  state.seen[topic] = lines[lines.length - 1].id;
  localStorage.setItem(seenKey(), JSON.stringify(state.seen));
}

function startEpoch(epoch) {
  // A restarted server starts its chat over: forget lines and read marks of the old one.
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith("gridbot.seen.") && key !== `gridbot.seen.${epoch}`) {
      localStorage.removeItem(key);
    }
  }
  state.epoch = epoch;
  state.last = 0;
  state.lines = new Map();
  try {
    state.seen = JSON.parse(localStorage.getItem(seenKey()) || "{}");
  } catch (_) {
    state.seen = {};
  }
  if ($("messages")) $("messages").replaceChildren();
}

function renderText(text) {
  const body = el("div", "bubble");
  // split() with a capturing group puts the mentions at the odd positions.
  text.split(MENTION).forEach((part, index) => {
    if (part) body.append(index % 2 ? el("span", "mention", part) : part);
  });
  return body;
}

function renderAttachment(url) {
  // A chart is shown; a ledger (or any other file) is a link to download it.
  if (/\.png$/i.test(url)) {
    const img = el("img", "attachment");
    img.src = url;
    img.alt = "图表";
    return img;
  }
  const link = el("a", "attachment", "下载文件：" + url.split("/").pop());
  link.href = url;
  return link;
}

function renderLine(line) {
  const item = el("li", line.from_bot ? "msg msg-bot" : "msg");
  item.dataset.id = String(line.id);
  const meta = el("div", "msg-meta");
  meta.append(el("span", "sender", line.sender));
  if (line.from_bot) meta.append(el("span", "bot-tag", "机器人"));
  const time = el("time", "time", line.time);
  time.dateTime = line.at;
  meta.append(time);
  item.append(meta, renderText(line.text));
  if (line.attachment) item.append(renderAttachment(line.attachment));
  return item;
}

function nearBottom(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
}

function renderConversation() {
  const box = $("messages");
  const lines = state.lines.get(state.selected) || [];
  box.replaceChildren(...lines.map(renderLine));
  $("empty-note").hidden = lines.length > 0 || !state.selected;
  box.scrollTop = box.scrollHeight;
}

function addLines(lines) {
  const box = $("messages");
  const stick = box && nearBottom(box);
  let touchedOthers = false;
  for (const line of lines) {
    const topic = line.room || "";
    if (!state.lines.has(topic)) state.lines.set(topic, []);
    state.lines.get(topic).push(line);
    if (topic === state.selected && box) {
      box.append(renderLine(line));
    } else {
      touchedOthers = true;
    }
  }
  if (!box) return;
  if (lines.some((line) => (line.room || "") === state.selected)) {
    $("empty-note").hidden = true;
    markSeen(state.selected);
    if (stick || state.justSent) box.scrollTop = box.scrollHeight;
    state.justSent = false;
  }
  if (touchedOthers) renderRooms();
  // What the bot says usually follows a ticket change: show it without waiting.
  if (lines.some((line) => line.from_bot)) loadTickets().catch(() => {});
}

async function pollMessages() {
  let wait = 0;
  for (;;) {
    try {
      const data = await api(`/api/messages?after=${state.last}&wait=${wait}`);
      if (data.epoch !== state.epoch) {
        const restarted = state.epoch !== null;
        startEpoch(data.epoch);
        if (restarted) {
          wait = 0;
          continue;
        }
      }
      addLines(data.lines);
      state.last = data.last;
      setConnected(true);
      wait = POLL_WAIT_SECONDS;
    } catch (err) {
      if (err instanceof AuthError) return;
      setConnected(false);
      await sleep(RETRY_MS);
    }
  }
}

// -- composer --------------------------------------------------------------------------------
async function selectRoom(topic) {
  state.selected = topic;
  localStorage.setItem("gridbot.room", topic);
  const room = state.rooms.find((r) => r.topic === topic);
  $("room-title").textContent = topic;
  $("room-info").textContent = room ? `网格 ${room.grid}` : "";
  showError("");
  renderConversation();
  markSeen(topic);
  renderRooms();
  // On a phone the groups are a sideways strip: keep the chosen one in view.
  const chosen = document.querySelector(".room[aria-current='true']");
  if (chosen) chosen.scrollIntoView({ block: "nearest", inline: "nearest" });
  await loadMembers(topic);
}

async function loadMembers(topic) {
  const select = $("speaker");
  select.disabled = true;
  let members = state.members.get(topic);
  if (!members) {
    try {
      members = (await api(`/api/rooms/${encodeURIComponent(topic)}/members`)).members;
      state.members.set(topic, members);
    } catch (err) {
      showError(err.message);
      return;
    }
  }
  if (topic !== state.selected) return;
  select.replaceChildren(
    ...members.map((m) => {
      const option = el("option", null, `${m.name}（${m.role} · ${m.grid}）`);
      option.value = String(m.person_id);
      return option;
    }),
  );
  // Default speaker: a patroller of the lowest grids, the people who report in practice.
  const remembered = localStorage.getItem(`gridbot.speaker.${topic}`);
  const patrollers = members.filter((m) => m.role === "网格员");
  const lowest = Math.max(...patrollers.map((m) => m.level));
  const preferred =
    members.find((m) => String(m.person_id) === remembered) ||
    patrollers.find((m) => m.level === lowest) ||
    members[0];
  if (preferred) select.value = String(preferred.person_id);
  select.disabled = members.length === 0;
  $("room-info").textContent = `${$("room-info").textContent} · ${members.length} 名成员`;
}

function showError(message) {
  const box = $("send-error");
  if (box) box.textContent = message;
}

async function send() {
  const textarea = $("text");
  const button = $("send");
  if (button.disabled || !state.selected) return;
  button.disabled = true;
  showError("");
  try {
    await api("/api/messages", {
      method: "POST",
      body: JSON.stringify({
        room: state.selected,
        person_id: Number($("speaker").value),
        text: textarea.value,
      }),
    });
    textarea.value = "";
    state.justSent = true;
    const box = $("messages");
    box.scrollTop = box.scrollHeight;
  } catch (err) {
    showError(err.message);
  } finally {
    button.disabled = false;
    textarea.focus();
  }
}

function setUpComposer() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  $("text").addEventListener("keydown", (event) => {
    // Enter while an input method is composing picks a candidate; it must not send.
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) {
      return;
    }
    event.preventDefault();
    send();
  });
  $("speaker").addEventListener("change", (event) => {
    localStorage.setItem(`gridbot.speaker.${state.selected}`, event.target.value);
  });
  $("insert-template").addEventListener("click", () => {
    const textarea = $("text");
    textarea.value = (connection.status && connection.status.report_template) || "";
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  });
}

export function startChat() {
  setUpComposer();
  loadRooms().then(pollMessages);
}
