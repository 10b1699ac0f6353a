"""`gridbot user …` and `gridbot apikey …`: office accounts and Open311 keys, by command line.

Passwords are never taken as arguments (they would stay in shell history and `ps`): they are
asked for twice at the terminal, or read from standard input with `--password-stdin`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any, TextIO

from bot.bootstrap import build_runtime
from bot.core.errors import UserError
from bot.services.office import accounts, audit
from bot.services.office import texts as office_texts
from bot.services.public import apikeys
from bot.services.public import texts as public_texts
from config.settings import Settings

PASSWORDS_DIFFER = "两次输入的密码不一致。"
CLI = "cli"  # the audit log's "who" for the command line


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("密码：")
    if getpass.getpass("再输入一次：") != first:
        raise UserError(PASSWORDS_DIFFER)
    return first


def cmd_user_add(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    runtime = build_runtime(settings)
    password = _password(args)
    now = runtime.clock.now()
    with runtime.transaction() as session:
        account = accounts.create(
            session,
            now,
            username=args.username,
            display_name=args.name,
            password=password,
            role=args.role,
            grid_code=args.grid,
        )
        audit.record(session, now, None, "user_add", account.username, username=CLI)
    role = office_texts.ROLE_NAMES[account.role]
    out.write(
        f"已建立账号 {account.username}（{account.display_name}，{role}，"
        f"范围：{account.grid_name or '全区'}）\n"
    )
    return 0


def cmd_user_list(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    runtime = build_runtime(settings)
    with runtime.transaction() as session:
        rows = accounts.list_accounts(session)
    for account, disabled, last in rows:
        state = "已停用" if disabled else "正常"
        seen = runtime.policy.format_time(last) if last else "从未登录"
        role = office_texts.ROLE_NAMES.get(account.role, account.role)
        scope = account.grid_name or "全区"
        out.write(f"{account.username}\t{account.display_name}\t{role}\t{scope}\t{state}\t{seen}\n")
    return 0


def cmd_user_passwd(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    runtime = build_runtime(settings)
    password = _password(args)
    with runtime.transaction() as session:
        accounts.set_password(session, args.username, password)
        audit.record(
            session, runtime.clock.now(), None, "user_passwd", args.username, username="cli"
        )
    out.write(f"已修改 {args.username} 的密码。\n")
    return 0


def cmd_user_disable(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    runtime = build_runtime(settings)
    with runtime.transaction() as session:
        account = accounts.set_disabled(session, args.username, not args.enable)
        audit.record(
            session, runtime.clock.now(), None, "user_disable", args.username, username="cli"
        )
    out.write(f"账号 {account.username} 已{'启用' if args.enable else '停用'}。\n")
    return 0


def cmd_apikey(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """`gridbot apikey add NAME | revoke ID | list`: the Open311 clients' keys."""
    runtime = build_runtime(settings)
    now = runtime.clock.now()
    with runtime.transaction() as session:
        if args.action == "add":
            issued = apikeys.issue(session, " ".join(args.name), now)
            audit.record(
                session, now, None, "apikey_add", f"#{issued.id}", issued.name, username=CLI
            )
            out.write(
                public_texts.KEY_ISSUED.format(id=issued.id, name=issued.name, key=issued.key)
                + "\n"
            )
        elif args.action == "revoke":
            if not apikeys.revoke(session, args.id, now):
                raise UserError(public_texts.KEY_NOT_REVOKED.format(id=args.id))
            audit.record(session, now, None, "apikey_revoke", f"#{args.id}", username=CLI)
            out.write(public_texts.KEY_REVOKED.format(id=args.id) + "\n")
        else:
            listed = apikeys.list_keys(session)
            if not listed:
                out.write(public_texts.KEY_NONE + "\n")
            for key in listed:
                state = public_texts.KEY_LIVE
                if key.revoked_at is not None:
                    state = public_texts.KEY_DEAD.format(
                        at=runtime.policy.format_time(key.revoked_at)
                    )
                created = runtime.policy.format_time(key.created_at)
                out.write(
                    public_texts.KEY_LINE.format(
                        id=key.id, name=key.name, created=created, state=state
                    )
                    + "\n"
                )
    return 0


def add_office_commands(sub: Any) -> None:
    """`gridbot user …` and `gridbot apikey …`."""
    apikey = sub.add_parser("apikey", help="Open311 接口密钥：签发、停用、列出")
    key_actions = apikey.add_subparsers(dest="action", required=True)
    key_actions.add_parser("add", help="签发新密钥").add_argument("name", nargs="+")
    key_actions.add_parser("revoke", help="停用密钥").add_argument("id", type=int)
    key_actions.add_parser("list", help="列出全部密钥")
    apikey.set_defaults(func=cmd_apikey)
    user = sub.add_parser("user", help="办公室控制台账号").add_subparsers(
        dest="user_command", required=True
    )
    add = user.add_parser("add", help="新建账号")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="姓名")
    add.add_argument("--role", default="查看", help="管理员 或 查看（默认）")
    add.add_argument("--grid", metavar="CODE", help="只管某镇（街道）时填其网格编码")
    add.add_argument("--password-stdin", action="store_true", help="从标准输入读密码")
    add.set_defaults(func=cmd_user_add)
    user.add_parser("list", help="列出账号").set_defaults(func=cmd_user_list)
    passwd = user.add_parser("passwd", help="修改密码")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(func=cmd_user_passwd)
    disable = user.add_parser("disable", help="停用账号（--enable 重新启用）")
    disable.add_argument("username")
    disable.add_argument("--enable", action="store_true")
    disable.set_defaults(func=cmd_user_disable)
