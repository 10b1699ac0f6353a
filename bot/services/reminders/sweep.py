"""Reminders about tickets, before anyone is overdue (提醒).

Three kinds, each once per ticket and occasion (a unique `Reminder.key`), in one message per
person and group however many are due: the deadline is near (``due:``), a ticket waits to be
受理'd (``accept:``), a 办结 ticket waits for 核查 (``verify:``, climbing one level per further
working day like the overdue chain). In quiet hours only pressing categories and 督办 tickets
are reminded; the rest are reminded when the quiet hours end. One person gets at most the
configured number of reminder messages a day; more wait for the next day's first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from bot.services.outbox import once
from bot.services.outbox.once import Claim
from bot.services.outbox.queue import PRIORITY_ESCALATION, Draft, enqueue
from bot.services.reminders import texts
from bot.services.roster import lookup
from bot.services.runtime import Runtime, format_duration
from bot.services.tickets import texts as ticket_texts
from bot.services.tickets.states import LIVE, Status
from bot.services.understanding.categories import index_for
from models.tables import Grid, Person, Reminder, Ticket

LISTED = 10
# Tickets opened longer ago than this are left to the overdue chain, not reminded to accept.
ACCEPT_LOOKBACK = timedelta(days=7)
MESSAGE = "message"  # Reminder.kind of one message sent to one person (for the daily cap)


@dataclass(frozen=True)
class Item:
    key: str
    kind: str  # due | accept | verify
    ticket: Ticket
    person: Person
    room: str | None
    line: str  # the line in a list of several
    text: str  # the message when it is the only one


def pressing(runtime: Runtime, ticket: Ticket) -> bool:
    """Whether a ticket's messages go out in quiet hours too (burning, 督办)."""
    if ticket.supervised:
        return True
    category = index_for(runtime.policy.categories).exact(ticket.category)
    return bool(category and category.pressing)


def sweep(runtime: Runtime) -> list[int]:
    """Queue every reminder due now; return the new outbox ids."""
    now = runtime.clock.now()
    with runtime.transaction() as session:
        items = [
            *_due_soon(session, runtime, now),
            *_not_accepted(session, runtime, now),
            *_unverified(session, runtime, now),
        ]
        if runtime.policy.calendar.in_quiet_hours(now):
            items = [i for i in items if pressing(runtime, i.ticket)]
        items = _unsent(session, items)
        items = _within_cap(session, runtime, items, now)
        if not items:
            return []
        won = _claim(session, items, runtime, now)
        items = [i for i in items if i.key in won]
        return enqueue(session, _messages(items, runtime, now), now)


def _leads(session: Session, tickets: list[Ticket]) -> dict[int, Person]:
    ids = {t.responsible_id for t in tickets if t.responsible_id}
    if not ids:
        return {}
    return {p.id or 0: p for p in session.exec(select(Person).where(col(Person.id).in_(ids)))}


def _grids(session: Session, tickets: list[Ticket]) -> dict[int, Grid]:
    return lookup.grids_by_id(session, {t.grid_id for t in tickets})


def _due_soon(session: Session, runtime: Runtime, now: datetime) -> list[Item]:
    r = runtime.policy.schedule.reminders
    longest = timedelta(hours=max(r.short_hours_before, r.long_hours_before))
    tickets = list(
        session.exec(
            select(Ticket).where(
                col(Ticket.status).in_(LIVE),
                col(Ticket.due_at) > now,
                col(Ticket.due_at) <= now + longest,
            )
        ).all()
    )
    people, grids = _leads(session, tickets), _grids(session, tickets)
    items = []
    for t in tickets:
        short = t.due_at - t.created_at <= timedelta(hours=r.short_deadline_hours)
        before = timedelta(hours=r.short_hours_before if short else r.long_hours_before)
        person = people.get(t.responsible_id or 0)
        if t.due_at - before > now or person is None:
            continue
        left = format_duration(t.due_at - now)
        due = runtime.policy.format_time(t.due_at)
        fields = {"code": t.code, "category": t.category, "location": t.location}
        items.append(
            Item(
                key=f"due:{t.id}:{int(t.due_at.timestamp())}",
                kind="due",
                ticket=t,
                person=person,
                room=grids[t.grid_id].room_topic,
                line=texts.LINE_DUE.format(code=t.code, due=due, left=left),
                text=texts.DUE_SOON.format(**fields, due=due, left=left),
            )
        )
    return items


def _not_accepted(session: Session, runtime: Runtime, now: datetime) -> list[Item]:
    hours = runtime.policy.schedule.reminders.not_accepted_working_hours
    tickets = list(
        session.exec(
            select(Ticket).where(
                Ticket.status == Status.OPEN,
                col(Ticket.opened_at) >= now - ACCEPT_LOOKBACK,
                col(Ticket.opened_at) <= now - timedelta(hours=hours),
            )
        ).all()
    )
    people, grids = _leads(session, tickets), _grids(session, tickets)
    calendar = runtime.policy.calendar
    items = []
    for t in tickets:
        person = people.get(t.responsible_id or 0)
        opened = t.opened_at or t.created_at  # when it reached this grid (交办, 转办)
        if person is None or calendar.add_working_hours(opened, hours) > now:
            continue
        age = format_duration(now - opened)
        fields = {"code": t.code, "category": t.category, "location": t.location}
        items.append(
            Item(
                key=f"accept:{t.id}:{int(opened.timestamp())}",
                kind="accept",
                ticket=t,
                person=person,
                room=grids[t.grid_id].room_topic,
                line=texts.LINE_ACCEPT.format(code=t.code, age=age),
                text=texts.NOT_ACCEPTED.format(**fields, age=age),
            )
        )
    return items


def _unverified(session: Session, runtime: Runtime, now: datetime) -> list[Item]:
    """办结, not 核查: the head above is reminded, then one level higher per working day."""
    days = runtime.policy.schedule.reminders.verify_working_days
    calendar = runtime.policy.calendar
    tickets = list(
        session.exec(
            select(Ticket).where(
                Ticket.status == Status.RESOLVED,
                col(Ticket.resolved_at) <= now - timedelta(days=days * 0.9),
            )
        ).all()
    )
    if not tickets:
        return []
    grids = _grids(session, tickets)
    chains = lookup.ancestor_chains(session, {t.grid_id for t in tickets})
    with_lead = [
        [g for g in chains.get(t.grid_id, [])]  # nearest first
        for t in tickets
    ]
    leads = lookup.leads_of(session, {g.id or 0 for chain in with_lead for g in chain})
    items = []
    for t, chain in zip(tickets, with_lead, strict=True):
        led = [g for g in chain if g.id in leads]
        if not led or t.resolved_at is None:
            continue
        step = 0
        while (
            step < len(led) and calendar.add_working_days(t.resolved_at, days * (step + 1)) <= now
        ):
            step += 1
        if step == 0:
            continue
        target = led[step - 1]
        person = leads[target.id or 0]
        age = format_duration(now - t.resolved_at)
        grid = grids[t.grid_id].name
        fields = {"code": t.code, "category": t.category, "location": t.location, "grid": grid}
        if step == 1:
            line = texts.LINE_VERIFY.format(code=t.code, grid=grid, age=age)
            text = texts.UNVERIFIED.format(**fields, age=age)
        else:
            verifier = leads[led[0].id or 0].name
            line = texts.LINE_VERIFY_UP.format(code=t.code, grid=grid, age=age, verifier=verifier)
            text = texts.UNVERIFIED_UP.format(**fields, age=age, verifier=verifier)
        items.append(
            Item(
                key=f"verify:{t.id}:{int(t.resolved_at.timestamp())}:{step}",
                kind="verify",
                ticket=t,
                person=person,
                room=target.room_topic,
                line=line,
                text=text,
            )
        )
    return items


def _unsent(session: Session, items: list[Item]) -> list[Item]:
    if not items:
        return []
    sent = set(
        session.exec(select(Reminder.key).where(col(Reminder.key).in_([i.key for i in items])))
    )
    return [i for i in items if i.key not in sent]


def _within_cap(session: Session, runtime: Runtime, items: list[Item], now: datetime) -> list[Item]:
    """Drop (for today) the items of people who already had today's number of messages;
    pressing items (burning, 督办) are never held back."""
    if not items:
        return []
    day = runtime.policy.local(now).date()
    ids = {i.person.id for i in items}
    counts = dict(
        session.exec(
            select(Reminder.person_id, func.count(col(Reminder.id)))
            .where(col(Reminder.person_id).in_(ids), Reminder.day == day, Reminder.kind == MESSAGE)
            .group_by(col(Reminder.person_id))
        ).all()
    )
    cap = runtime.policy.schedule.reminders.per_person_daily_cap
    return [i for i in items if counts.get(i.person.id, 0) < cap or pressing(runtime, i.ticket)]


def _claim(session: Session, items: list[Item], runtime: Runtime, now: datetime) -> set[str]:
    """Claim the reminders and one message per person (for the cap); the keys this sweep won."""
    day = runtime.policy.local(now).date()
    won = once.claim(
        session,
        [Claim(i.key, i.kind, ticket_id=i.ticket.id, person_id=i.person.id) for i in items],
        day,
        now,
    )
    people = {i.person.id for i in items if i.key in won}
    messages = [Claim(f"msg:{p}:{now.isoformat()}", MESSAGE, person_id=p) for p in people]
    once.claim(session, messages, day, now)
    return won


def _messages(items: list[Item], runtime: Runtime, now: datetime) -> list[Draft]:
    by_target: dict[tuple[str | None, int], list[Item]] = defaultdict(list)
    for item in items:
        by_target[(item.room, item.person.id or 0)].append(item)
    drafts = []
    for (room, person_id), group in by_target.items():
        group.sort(key=lambda i: (not i.ticket.supervised, i.ticket.due_at, i.ticket.id or 0))
        if len(group) == 1:
            text = _marked(group[0], group[0].text)
        else:
            lines = [texts.MANY.format(name=group[0].person.name, count=len(group))]
            lines += [_marked(i, i.line) for i in group[:LISTED]]
            if len(group) > LISTED:
                lines.append(texts.MORE.format(count=len(group) - LISTED))
            text = "\n".join(lines)
        first = min(i.key for i in group)
        drafts.append(
            Draft(
                key=f"remind:{first}",
                text=text,
                room_topic=room,
                private_person_id=None if room else person_id,
                mentions=(person_id,),
                priority=PRIORITY_ESCALATION,
                kind="reminder",
            )
        )
    return drafts


def _marked(item: Item, text: str) -> str:
    if not item.ticket.supervised:
        return text
    mark = ticket_texts.SUPERVISED_MARK
    return text.replace("· ", "· " + mark, 1) if text.startswith("· ") else mark + text
