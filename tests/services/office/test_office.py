"""The office console's services on both databases: accounts, sessions, scope, actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.core.errors import UserError
from bot.services.office import accounts, actions, dashboard, detail, search, sessions
from bot.services.office.accounts import Account
from tests.harness import Harness

PASSWORD = "correct-horse-42"


def _account(h: Harness, username: str, role: str = "管理员", grid: str | None = None) -> Account:
    with h.runtime.transaction() as session:
        return accounts.create(
            session,
            h.clock.now(),
            username=username,
            display_name=f"{username}同志",
            password=PASSWORD,
            role=role,
            grid_code=grid,
        )


def test_log_in_checks_the_password_and_locks_after_five_failures(engine: Engine) -> None:
    h = Harness.on(engine)
    _account(h, "zhang")

    def log_in(password: str) -> Account | str:
        with h.runtime.transaction() as session:
            return accounts.authenticate(session, "ZHANG", password, h.clock.now())

    found = log_in(PASSWORD)
    assert isinstance(found, Account) and found.username == "zhang"
    for _ in range(5):
        assert log_in("wrong-password") == "用户名或密码不正确。"
    refusal = log_in(PASSWORD)
    assert isinstance(refusal, str) and "已锁定" in refusal
    with h.runtime.transaction() as session:  # a colleague elsewhere still gets in
        elsewhere = accounts.authenticate(session, "zhang", PASSWORD, h.clock.now(), "10.0.0.9")
    assert isinstance(elsewhere, Account)
    h.clock.advance(timedelta(minutes=16))
    found = log_in(PASSWORD)
    assert isinstance(found, Account) and found.role == "admin"


def test_passwords_are_stored_as_argon2_hashes_and_weak_ones_refused(engine: Engine) -> None:
    h = Harness.on(engine)
    _account(h, "wang")
    from sqlmodel import Session, select

    from models.tables import OfficeUser

    with Session(engine) as session:
        stored = session.exec(select(OfficeUser.password_hash)).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(UserError, match="至少 10 个字符"), h.runtime.transaction() as session:
        now = h.clock.now()
        accounts.create(
            session, now, username="lisi", display_name="李", password="123", role="查看"
        )
    with pytest.raises(UserError, match="已被使用"):
        _account(h, "WANG")


def test_a_session_ends_at_log_out_and_a_forged_cookie_is_refused(engine: Engine) -> None:
    h = Harness.on(engine)
    account = _account(h, "zhao")
    secret = b"s" * 32
    with h.runtime.transaction() as session:
        token, csrf = sessions.open_session(session, account, h.clock.now(), "127.0.0.1")
    cookie = sessions.cookie_value(token, secret)
    assert sessions.token_of(cookie, secret) == token
    tampered = cookie[:-1] + ("1" if cookie.endswith("0") else "0")  # one hex digit changed
    assert sessions.token_of(tampered, secret) is None
    assert sessions.token_of(cookie, b"other-secret") is None
    with h.runtime.transaction() as session:
        found = sessions.find(session, token, h.clock.now())
        assert found is not None and found[1] == csrf
        sessions.close_session(session, token)
        assert sessions.find(session, token, h.clock.now()) is None


def test_the_office_closes_a_ticket_and_the_group_hears_of_it(engine: Engine) -> None:
    h = Harness.on(engine)
    code = h.report("一村群", "巡查员辛")
    h.say("一村群", "片长庚", f"受理 {code}")
    h.say("一村群", "片长庚", f"办结 {code} 已劝导")
    office = _account(h, "office")
    # The chat's rules hold here too: 散煤 needs a 整改后 photo before it is closed.
    with pytest.raises(UserError, match="还没有整改后照片"), h.runtime.transaction() as session:
        actions.act(session, h.runtime, office, code, actions.ActionInput("close"))
    h.photo("一村群", "片长庚")
    h.flush()
    with h.runtime.transaction() as session:
        done = actions.act(session, h.runtime, office, code, actions.ActionInput("close"))
    assert "已销号" in done.reply and "office同志（区办）" in done.reply
    sent = h.flush()
    assert [s.room for s in sent] == ["一村群"]
    assert sent[0].mentions == ("片长庚",)
    assert h.tickets()[-1]["status"] == "closed"
    with h.runtime.transaction() as session:
        view = detail.view(session, h.runtime, office, code)
    steps = [s.what for s in view.timeline if s.what != "上传照片"]
    assert steps == ["上报", "受理", "办结", "销号"]
    assert view.timeline[-1].who == "office同志（区办）"


def test_a_town_account_sees_and_acts_only_in_its_town(engine: Engine) -> None:
    h = Harness.on(engine)
    mine = h.report("一村群", "巡查员辛")
    other = h.report("二村群", "巡查员寅", location="二村5号楼")
    town = _account(h, "town1", grid="D-T1")
    with h.runtime.transaction() as session:
        page = search.search(session, h.runtime, town, search.Filter())
        assert [r.code for r in page.rows] == [mine]
        with pytest.raises(UserError, match="不在您负责的范围内"):
            detail.view(session, h.runtime, town, other)
        nodes = {n.code: n for n in dashboard.tree(session, h.runtime, town)}
    assert set(nodes) >= {"D-T1", "D-T1-V1"} and "D-T2" not in nodes
    assert nodes["D-T1"].open == 1 and nodes["D-T1"].parent_id is None
    supervise = actions.ActionInput("supervise", note="抓紧")
    with pytest.raises(UserError, match="不在您负责的范围内"), h.runtime.transaction() as session:
        actions.act(session, h.runtime, town, other, supervise)


def test_a_viewer_reads_but_may_not_act(engine: Engine) -> None:
    h = Harness.on(engine)
    code = h.report("一村群", "巡查员辛")
    viewer = _account(h, "reader", role="查看")
    with h.runtime.transaction() as session:
        view = detail.view(session, h.runtime, viewer, code)
        assert view.actions == []
        with pytest.raises(UserError, match="只读"):
            actions.act(session, h.runtime, viewer, code, actions.ActionInput("supervise"))


def test_filters_sort_and_page_in_the_database(engine: Engine) -> None:
    h = Harness.on(engine)
    codes = [h.report("一村群", "巡查员辛") for _ in range(3)]
    h.report("二村群", "巡查员寅", category="餐饮油烟", location="二村饭店")
    office = _account(h, "office")
    h.clock.advance(timedelta(days=5))  # every deadline has passed
    with h.runtime.transaction() as session:
        run = lambda **kw: search.search(session, h.runtime, office, search.Filter(**kw))  # noqa: E731
        assert run(category="餐饮油烟").total == 1
        in_town = run(grid="D-T1")
        assert in_town.total == 3 and {r.town for r in in_town.rows} == {"一镇"}
        assert {r.head for r in in_town.rows} == {"片长庚"}
        assert run(text="饭店").rows[0].location == "二村饭店"
        assert run(text="%").total == 0  # a wildcard is searched as text
        assert run(overdue=True).total == 4
        page = run(sort="code", descending=False, size=2, page=2)
        assert page.total == 4 and page.rows[0].code == sorted(codes)[2]
        assert run(statuses=("closed",)).total == 0
        with pytest.raises(UserError, match="没有编码为 NOPE 的网格"):
            run(grid="NOPE")


def test_the_dashboard_counts_each_subtree(engine: Engine) -> None:
    h = Harness.on(engine)
    a = h.report("一村群", "巡查员辛")
    h.report("一村群", "巡查员辛")
    h.say("一村群", "片长庚", f"受理 {a}")
    h.say("一村群", "片长庚", f"办结 {a} 已清理")
    h.photo("一村群", "片长庚")
    office = _account(h, "office")
    with h.runtime.transaction() as session:
        nodes = {n.code: n for n in dashboard.tree(session, h.runtime, office)}
        version = dashboard.version(session)
    assert (nodes["D"].open, nodes["D"].waiting, nodes["D"].overdue) == (2, 1, 0)
    assert nodes["D-T2"].open == 0
    assert nodes["D-T1-V1"].head == "村书记戊"
    h.say("一村群", "村书记戊", f"核查通过 {a}")
    with h.runtime.transaction() as session:
        assert dashboard.version(session) > version
        assert {n.code: n for n in dashboard.tree(session, h.runtime, office)}["D"].open == 1


def test_the_month_rate_is_kept_a_few_minutes_while_counts_stay_live(engine: Engine) -> None:
    h = Harness.on(engine)
    code = h.report("一村群", "巡查员辛", category="餐饮油烟")
    office = _account(h, "office")
    cache = dashboard.RateCache()

    def node() -> dashboard.Node:
        with h.runtime.transaction() as session:
            nodes = dashboard.tree(session, h.runtime, office, cache)
        return next(n for n in nodes if n.code == "D")

    assert (node().open, node().resolve_rate) == (1, 0.0)
    h.say("一村群", "片长庚", f"受理 {code}")
    h.say("一村群", "片长庚", f"办结 {code} 已整改")
    h.photo("一村群", "片长庚")
    h.say("一村群", "村书记戊", f"核查通过 {code}")
    assert (node().open, node().resolve_rate) == (0, 0.0)  # counts live, the rate kept
    h.clock.advance(dashboard.RATES_KEPT)
    assert node().resolve_rate == 1.0


def test_the_office_decides_extensions_and_appeals_and_transfers(engine: Engine) -> None:
    h = Harness.on(engine)
    office = _account(h, "office")

    def act(code: str, action: str, **fields: str) -> str:
        with h.runtime.transaction() as session:
            done = actions.act(
                session, h.runtime, office, code, actions.ActionInput(action, **fields)
            )
        return done.reply

    code = h.report("一村群", "巡查员辛", category="道路扬尘")
    h.say("一村群", "片长庚", f"延期 {code} 2天 等待清扫车")
    h.flush()
    with h.runtime.transaction() as session:
        waiting = detail.view(session, h.runtime, office, code)
    assert "grant_extension" in waiting.actions and "等待清扫车" in waiting.waiting[0]
    granted = act(code, "grant_extension")
    assert "同意延期" in granted and "office同志（区办）" in granted
    sent = h.flush()
    assert [s.mentions for s in sent] == [("片长庚",)]  # the asker hears of it in his group

    appealed = h.report("一村群", "巡查员辛", category="道路扬尘", location="一村9号路口")
    h.say("一村群", "片长庚", f"申诉 {appealed} 不属于本网格，是二村的路段")
    h.flush()
    with pytest.raises(UserError, match="原因"), h.runtime.transaction() as session:
        actions.act(session, h.runtime, office, appealed, actions.ActionInput("reject_appeal"))
    assert "驳回" in act(appealed, "reject_appeal", note="经核实属于本网格")

    moved = h.report("一村群", "巡查员辛", category="道路扬尘", location="一村10号路口")
    assert "转" in act(moved, "transfer", grid="二村", note="地点属于二村")
    notice = [s for s in h.flush() if s.room == "二村群"]
    assert notice and notice[0].mentions == ("村书记丑",)
    assert {t["code"]: t["grid"] for t in h.tickets()}[moved] == "D-T2-V2"
