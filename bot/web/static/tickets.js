// Tickets: the side panel on the chat page and the table on /tickets.

import { $, AuthError, api, el, sleep } from "./common.js";

const TICKETS_EVERY_MS = 5000;

function statusChip(ticket) {
  return el("span", `status status-${ticket.status}`, ticket.status_name);
}

function dueText(ticket) {
  return ticket.overdue ? `${ticket.due_text}（已超期）` : ticket.due_text;
}

function renderTicketCards(tickets) {
  const list = $("ticket-cards");
  list.replaceChildren(
    ...tickets.slice(0, 50).map((t) => {
      const card = el("li", t.overdue ? "ticket-card overdue" : "ticket-card");
      const top = el("div", "ticket-top");
      top.append(el("span", "code", t.code), statusChip(t));
      card.append(
        top,
        el("div", "ticket-what", `${t.category} · ${t.grid}`),
        el("div", "ticket-where", t.location),
        el("div", "ticket-due", `期限 ${dueText(t)}`),
      );
      return card;
    }),
  );
  if (!tickets.length) list.append(el("li", "empty-note", "还没有工单。"));
}

function renderTicketTable(tickets) {
  const body = $("ticket-table").tBodies[0];
  body.replaceChildren(
    ...tickets.map((t) => {
      const row = el("tr", t.overdue ? "overdue" : "");
      const cells = [t.code, null, t.category, t.grid, t.location, t.reporter || "—", dueText(t)];
      const classes = ["code", "", "", "", "where", "", "due"];
      cells.forEach((value, index) => {
        const cell = el("td", classes[index]);
        if (value === null) cell.append(statusChip(t));
        else cell.textContent = value;
        row.append(cell);
      });
      return row;
    }),
  );
  $("ticket-count").textContent = `共 ${tickets.length} 件`;
  $("no-tickets").hidden = tickets.length > 0;
}

export async function loadTickets() {
  const tickets = (await api("/api/tickets")).tickets;
  if ($("ticket-cards")) renderTicketCards(tickets);
  if ($("ticket-table")) renderTicketTable(tickets);
}

export async function refreshTickets() {
  for (;;) {
    try {
      await loadTickets();
    } catch (err) {
      if (err instanceof AuthError) return;
    }
    await sleep(TICKETS_EVERY_MS);
  }
}
