"""The `gridbot` command line. Its output is a contract: operators and tests read it."""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import sys
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.cli_office import add_office_commands
from bot.core.clock import Clock, FixedClock, SystemClock
from bot.core.errors import UserError
from bot.core.messages import ChatRef, Inbound, Outgoing
from bot.services.outbox import queue
from bot.services.roster import importer as roster
from bot.services.roster import lookup
from bot.services.roster import texts as roster_texts
from bot.services.roster.lookup import sender_for
from bot.services.runtime import Runtime
from bot.services.tickets.listing import list_tickets
from config.settings import Settings, SettingsError, load_settings
from handlers.dispatcher import Dispatcher
from scheduler.jobs import run_sweeps


def _parse_at(raw: str | None, tz: str) -> Clock:
    if raw is None:
        return SystemClock()
    from zoneinfo import ZoneInfo

    try:
        at = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise UserError(
            f"--at 的时间格式不对：{raw}（应为 ISO 8601，如 2026-11-22T09:00+08:00）"
        ) from exc
    return FixedClock(at if at.tzinfo else at.replace(tzinfo=ZoneInfo(tz)))


def _deliver(runtime: Runtime, ids: Sequence[int], out: TextIO) -> None:
    """Act as the transport for what this command queued: print each message as JSON."""
    if not ids:
        return
    now = runtime.clock.now()
    with runtime.transaction() as session:
        for message in queue.claim(session, now, limit=len(ids), only=ids):
            out.write(json.dumps(_as_json(message), ensure_ascii=False) + "\n")
            queue.mark_sent(session, message.outbox_id, now, f"cli-{message.outbox_id}")


def _as_json(message: Outgoing) -> dict[str, object]:
    room = message.room_topic if message.room_topic is not None else f"私聊:{message.private_to}"
    return {"room": room, "text": message.text, "mentions": list(message.mention_names)}


def cmd_say(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from bot.bootstrap import build_runtime

    runtime = build_runtime(settings, _parse_at(args.at, settings.timezone))
    with runtime.transaction() as session:
        sender_id, sender_name = sender_for(session, args.sender)
        if lookup.room_for_topic(session, args.room) is None:
            sys.stderr.write(roster_texts.CLI_UNKNOWN_ROOM.format(room=args.room) + "\n")
    inbound = Inbound(
        message_id=args.message_id or f"cli-{uuid.uuid4().hex}",
        chat=ChatRef(room_id=args.room, room_topic=args.room),
        sender_id=sender_id,
        sender_name=sender_name,
        text=" ".join(args.text),
        at=runtime.clock.now(),
    )
    _deliver(runtime, Dispatcher(runtime).handle(inbound), out)
    return 0


def cmd_tick(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from bot.bootstrap import build_runtime

    runtime = build_runtime(settings, _parse_at(args.at, settings.timezone))
    _deliver(runtime, run_sweeps(runtime), out)
    return 0


def cmd_tickets(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from bot.bootstrap import build_runtime

    runtime = build_runtime(settings)
    with runtime.transaction() as session:
        rows = list_tickets(session, runtime.policy.tz)
    out.write(json.dumps(rows, ensure_ascii=False, indent=2 if not args.json else None) + "\n")
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from bot.bootstrap import build_runtime

    build_runtime(settings)
    out.write(f"数据库已是最新结构：{_safe_url(settings.database_url)}\n")
    return 0


def cmd_import_roster(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from bot.bootstrap import build_runtime

    runtime = build_runtime(settings)
    report = roster.import_roster(runtime.engine, Path(args.path), dry_run=args.dry_run)
    out.write(report.text() + "\n")
    if not args.dry_run:
        from bot.services.office import audit
        from bot.services.tickets import handover

        with runtime.transaction() as session:
            now, name, summary = runtime.clock.now(), Path(args.path).name, report.summary()
            audit.record(session, now, None, "roster_import", name, summary, username="cli")
        told = handover.follow_new_heads(runtime)
        if told:
            out.write(roster_texts.CLI_HANDOVER.format(count=len(told)) + "\n")
    return 0


def cmd_ledger(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from zoneinfo import ZoneInfo

    from bot.bootstrap import build_runtime
    from bot.services.reports import ledger

    tz = ZoneInfo(settings.timezone)
    since = ledger.day_start(args.since, tz, "--from")
    until = ledger.day_start(args.until, tz, "--to", inclusive_end=True)
    runtime = build_runtime(settings)
    summary = ledger.write_ledger(runtime, Path(args.out), since, until, args.grid)
    out.write(summary.line() + "\n")
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from aiohttp import web

    from bot.app import build_app, first_admin_file
    from bot.web import keys
    from bot.web.auth import RedactedAccessLogger

    if settings.wechat_enabled and importlib.util.find_spec("wechaty") is None:
        raise UserError(roster_texts.CLI_NO_WECHATY)
    app = build_app(settings)
    url = f"http://{settings.web_host}:{settings.web_port}/"
    channel = f"微信 {settings.puppet_endpoint}" if settings.wechat_enabled else "本地模拟群聊"
    out.write(
        f"网格通 Gridbot 已启动\n  数据库：{_safe_url(settings.database_url)}\n"
        f"  聊天通道：{channel}\n"
        f"  打开：{_link(url, settings, app[keys.ADMIN_TOKEN])}\n"
        f"  办公室控制台：{url}console（首次启动建立账号 admin，"
        f"初始密码在 {first_admin_file(settings.data_dir)}）\n  按 Ctrl+C 退出\n"
    )
    out.flush()
    web.run_app(
        app,
        host=settings.web_host,
        port=settings.web_port,
        print=None,
        access_log_class=RedactedAccessLogger,
    )
    return 0


def _link(url: str, settings: Settings, token: str) -> str:
    """The address to open. A token from .env is not printed (the admin has it, and a printed
    one ends up in service logs); a random one must be, or nobody could log in."""
    if settings.admin_token:
        return f"{url}?token=<.env 中的 GRIDBOT_ADMIN_TOKEN>"
    return f"{url}?token={token}"


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridbot", description="网格通：环保网格群机器人")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="启动网页、定时任务和聊天通道").set_defaults(func=cmd_run)
    sub.add_parser("migrate", help="升级数据库结构").set_defaults(func=cmd_migrate)
    imp = sub.add_parser("import-roster", help="导入花名册（CSV 或 xlsx）")
    imp.add_argument("path")
    imp.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    imp.set_defaults(func=cmd_import_roster)
    say = sub.add_parser("say", help="模拟某人在某群发一条消息")
    say.add_argument("--room", required=True)
    say.add_argument("--from", dest="sender", required=True)
    say.add_argument("--at")
    say.add_argument("--id", dest="message_id", help="平台消息编号（用于测试重复投递）")
    say.add_argument("text", nargs="+")
    say.set_defaults(func=cmd_say)
    tick = sub.add_parser("tick", help="执行此刻到期的定时任务（超期上报、每日简报）")
    tick.add_argument("--at")
    tick.set_defaults(func=cmd_tick)
    tickets = sub.add_parser("tickets", help="列出工单")
    tickets.add_argument("--json", action="store_true")
    tickets.set_defaults(func=cmd_tickets)
    book = sub.add_parser("ledger", help="导出 Excel 台账（汇总、问题整改、巡查、预警响应）")
    book.add_argument("--from", dest="since", metavar="YYYY-MM-DD", help="开始日期（默认最早）")
    book.add_argument("--to", dest="until", metavar="YYYY-MM-DD", help="结束日期，含当天")
    book.add_argument("--grid", metavar="CODE", help="网格编码（默认全区）")
    book.add_argument("--out", required=True, metavar="FILE.xlsx")
    book.set_defaults(func=cmd_ledger)
    add_office_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Routine chatter of libraries (a line per sweep, per gRPC connection) hides what matters.
    for noisy in ("apscheduler", "PuppetService", "Wechaty", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    out = out or sys.stdout
    try:
        settings = load_settings()
        return int(args.func(settings, args, out))
    except (UserError, SettingsError) as exc:
        sys.stderr.write(f"{exc}\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
