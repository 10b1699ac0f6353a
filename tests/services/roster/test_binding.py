"""System notices to the level-1 groups: the sends of uncertain outcome, listed once."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.services.roster import binding
from tests.harness import Harness


def test_sends_of_uncertain_outcome_are_listed_to_the_admins_once(engine: Engine) -> None:
    bot = Harness.on(engine)
    stuck = [(7, "一村群", "工单 112201 已受理（片长庚）。\n请在 11月24日 10:00 前办结。")]
    queued = binding.announce_unknown(bot.runtime, stuck)
    [notice] = bot._deliver(queued)
    assert notice.room == "区平台群" and notice.mentions == ("管理员乙",)
    assert notice.text.startswith("【系统通知】机器人中断时有 1 条消息正在发送，无法确认是否已发出")
    assert "· 一村群：工单 112201 已受理（片长庚）。 请在 11月24日" in notice.text
    assert binding.announce_unknown(bot.runtime, stuck) == []  # once
    assert binding.announce_unknown(bot.runtime, []) == []


def test_a_message_binding_a_member_while_the_login_binds_all_waits_instead_of_deadlocking(
    pg_engine: Engine,
) -> None:
    """The login's binding (groups, then members) and a message binding one member, at
    once on PostgreSQL: the second roster writer waits for the first, whatever the order
    of their rows, because each roster statement locks the roster version first."""
    import threading
    import time

    from sqlalchemy import text

    Harness.on(pg_engine)
    with pg_engine.connect() as c:
        person = c.execute(text("SELECT id FROM person ORDER BY id LIMIT 1")).scalar_one()
    login = pg_engine.connect()
    login.execute(text("SET lock_timeout = '20s'"))  # a failure here ends, never hangs
    login.execute(text("UPDATE room SET platform_id = 'r-' || id"))  # the groups first
    errors: list[BaseException] = []
    pids: list[int] = []

    def message() -> None:  # the member's first message binds their contact id
        try:
            with pg_engine.begin() as c:
                c.execute(text("SET LOCAL lock_timeout = '20s'"))
                pids.append(c.execute(text("SELECT pg_backend_pid()")).scalar_one())
                c.execute(
                    text("UPDATE person SET contact_id = 'wx-new' WHERE id = :id"), {"id": person}
                )
        except BaseException as exc:
            errors.append(exc)

    writer = threading.Thread(target=message, daemon=True)
    try:
        writer.start()
        # Until the message's UPDATE waits for a lock (bounded: a few seconds at most).
        with pg_engine.connect() as probe:
            waiting = False
            for _ in range(500):
                if pids:
                    waiting = bool(
                        probe.execute(
                            text("SELECT cardinality(pg_blocking_pids(:pid)) > 0"),
                            {"pid": pids[0]},
                        ).scalar_one()
                    )
                if waiting:
                    break
                time.sleep(0.01)
            assert waiting
        # The login's binding goes on to that member: with the lock taken after the
        # statement the message would hold the member's row while waiting for the version,
        # and one of the two would be aborted as a deadlock.
        login.execute(
            text("UPDATE person SET contact_id = 'wx-login' WHERE id = :id"), {"id": person}
        )
        login.commit()
    finally:
        login.close()
        writer.join(30)
    assert not writer.is_alive() and errors == []
    with pg_engine.connect() as c:
        final = c.execute(text("SELECT contact_id FROM person WHERE id = :id"), {"id": person})
        assert final.scalar_one() == "wx-new"  # the message's, which went second
