"""The office's triage: a routed report is an ordinary ticket, told to the grid's head."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.core.errors import UserError
from bot.services.public import reports, triage
from bot.services.roster.lookup import Actor, find_grid
from bot.services.tickets.ledger import PUBLIC
from models.tables import Evidence, PublicReport, Ticket
from tests.harness import Harness
from tests.services.public.conftest import JPEG, file, origin


def _route(bot: Harness, clerk: Actor, report_id: int, grid: str = "D-T1-V1-A") -> triage.Routed:
    with bot.runtime.transaction() as session:
        return triage.route(session, bot.runtime, report_id, grid, origin(bot, clerk))


def test_the_queue_lists_reports_waiting_newest_first_with_the_contact(
    bot: Harness, clerk: Actor
) -> None:
    first = file(bot)
    bot.clock.advance(timedelta(minutes=5))
    second = file(bot, code="gongdiyangchen", address="二村一片工地", description="扬尘")
    with bot.runtime.transaction() as session:
        items = triage.queue(session, bot.runtime)
    assert [i.code for i in items] == [second.code, first.code]
    assert items[0].service_name == "工地扬尘"
    assert items[1].phone == "13900001111"


def test_routing_opens_a_public_ticket_and_tells_the_grid_head(bot: Harness, clerk: Actor) -> None:
    filed = file(bot)
    routed = _route(bot, clerk, filed.id)
    assert routed.ticket.source == PUBLIC
    assert routed.ticket.grid_name == "一村一片"
    assert routed.ticket.head_name == "片长庚"
    sent = bot.flush()
    assert len(sent) == 1
    assert sent[0].room == "一村群"
    assert sent[0].mentions == ("片长庚",)
    assert f"【群众举报】工单 {routed.ticket.code}" in sent[0].text
    assert "烧散煤" in sent[0].text
    assert "13900001111" not in sent[0].text  # the reporter's phone stays with the office
    with bot.runtime.transaction() as session:
        ticket = session.exec(select(Ticket)).one()
        assert (ticket.source, ticket.category, ticket.status) == (PUBLIC, "散煤", "open")
        report = session.get(PublicReport, filed.id)
        assert report is not None
        assert (report.status, report.ticket_id) == ("routed", ticket.id)
        assert report.routed_by is not None
        view = reports.lookup(session, bot.runtime, filed.code)
    assert view is not None
    assert (view.state, view.ticket_code, view.grid_name) == (
        "已受理，处置中",
        routed.ticket.code,
        "一村一片",
    )


def test_the_reporters_photo_becomes_before_evidence_of_the_ticket(
    bot: Harness, clerk: Actor
) -> None:
    filed = file(bot, photo=JPEG)
    _route(bot, clerk, filed.id)
    with bot.runtime.transaction() as session:
        evidence = session.exec(select(Evidence)).one()
        ticket = session.exec(select(Ticket)).one()
    assert (evidence.ticket_id, evidence.status, evidence.stage) == (ticket.id, "saved", "before")
    assert evidence.path is not None and Path(evidence.path).read_bytes() == JPEG
    assert evidence.size == len(JPEG)


def test_routing_twice_makes_one_ticket_and_tells_the_second_clerk(
    bot: Harness, clerk: Actor
) -> None:
    filed = file(bot)
    _route(bot, clerk, filed.id)
    with pytest.raises(UserError, match="已被处理"):
        _route(bot, clerk, filed.id, "D-T2-V2")
    with bot.runtime.transaction() as session:
        assert len(session.exec(select(Ticket)).all()) == 1


def test_two_clerks_routing_at_once_make_exactly_one_ticket(bot: Harness, clerk: Actor) -> None:
    filed = file(bot)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(grid: str) -> None:
        barrier.wait()
        try:
            _route(bot, clerk, filed.id, grid)
            outcomes.append("routed")
        except UserError:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(g,)) for g in ("D-T1-V1-A", "D-T2-V2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "routed"]
    with bot.runtime.transaction() as session:
        assert len(session.exec(select(Ticket)).all()) == 1


def test_rejecting_needs_a_reason_and_shows_it_to_the_reporter(bot: Harness, clerk: Actor) -> None:
    filed = file(bot)
    with bot.runtime.transaction() as session, pytest.raises(UserError, match="原因"):
        triage.reject(session, bot.runtime, filed.id, "  ", origin(bot, clerk))
    with bot.runtime.transaction() as session:
        view = triage.reject(session, bot.runtime, filed.id, "经核实为正常施工", origin(bot, clerk))
    assert (view.state, view.note, view.is_open) == ("不予受理", "经核实为正常施工", False)
    with pytest.raises(UserError, match="已被处理"):
        _route(bot, clerk, filed.id)
    with bot.runtime.transaction() as session:
        assert triage.queue(session, bot.runtime) == []
        assert session.exec(select(Ticket)).all() == []


def test_an_unknown_grid_or_report_is_refused_in_chinese(bot: Harness, clerk: Actor) -> None:
    filed = file(bot)
    with pytest.raises(UserError, match="找不到网格"):
        _route(bot, clerk, filed.id, "NOPE")
    with pytest.raises(UserError, match="找不到举报"):
        _route(bot, clerk, filed.id + 99)
    with bot.runtime.transaction() as session:
        assert [i.status for i in triage.queue(session, bot.runtime)] == ["triage"]


def test_a_town_sees_its_routed_reports_and_every_waiting_one(bot: Harness, clerk: Actor) -> None:
    ours, theirs, waiting = file(bot), file(bot, address="二村"), file(bot, address="某处")
    _route(bot, clerk, ours.id, "D-T1-V1-A")
    _route(bot, clerk, theirs.id, "D-T2-V2")
    with bot.runtime.transaction() as session:
        town = find_grid(session, "D-T1")
        assert town is not None
        listed = triage.queue(
            session, bot.runtime, statuses=("triage", "routed"), under_grid_id=town.id
        )
    assert {i.code for i in listed} == {ours.code, waiting.code}


@pytest.mark.parametrize(
    ("address", "description", "expected"),
    [
        ("一村一片东头", "", "D-T1-V1-A"),  # the deepest, longest name wins over 一村
        ("一村村口", "烧秸秆", "D-T1-V1"),
        ("不知道哪里", "二村的工地扬尘", "D-T2-V2"),
        ("东关街12号", "冒黑烟", None),
    ],
)
def test_a_grid_is_suggested_from_the_place_or_the_description(
    bot: Harness, address: str, description: str, expected: str | None
) -> None:
    filed = file(bot, address=address, description=description or "看到了")
    with bot.runtime.transaction() as session:
        grid = triage.suggest_grid(session, triage.get(session, bot.runtime, filed.id))
    assert (grid.code if grid else None) == expected
