"""The schema. Every table change goes through an alembic migration in models/migrations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime


def _utc(*, nullable: bool = False, index: bool = False) -> object:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Grid(SQLModel, table=True):
    """A grid (网格) at some level; `room_topic` is the group it reports in (own or inherited)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200, index=True)
    level: int
    parent_id: int | None = Field(default=None, foreign_key="grid.id", index=True)
    own_room_topic: str | None = Field(default=None, max_length=200)
    room_topic: str | None = Field(default=None, max_length=200, index=True)


class GridClosure(SQLModel, table=True):
    """Ancestor/descendant pairs (including each grid with itself at depth 0).

    Lets a briefing or an escalation find a subtree or the chain of ancestors with one indexed
    query instead of walking parent links.
    """

    __tablename__ = "grid_closure"
    __table_args__ = (Index("ix_grid_closure_descendant_depth", "descendant_id", "depth"),)

    ancestor_id: int = Field(foreign_key="grid.id", primary_key=True)
    descendant_id: int = Field(foreign_key="grid.id", primary_key=True)
    depth: int


class Person(SQLModel, table=True):
    """Someone on the roster. `contact_id` is the chat platform's id once bound."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, index=True)
    wechat_id: str | None = Field(default=None, max_length=100, unique=True)
    phone: str | None = Field(default=None, max_length=40)
    contact_id: str | None = Field(default=None, max_length=200, unique=True)


class Membership(SQLModel, table=True):
    """A person's role in one grid (网格长, 副网格长, 第一网格长, 网格员, 管理员)."""

    __table_args__ = (
        UniqueConstraint("person_id", "grid_id", name="uq_membership_person_grid"),
        Index("ix_membership_grid_role", "grid_id", "role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    grid_id: int = Field(foreign_key="grid.id")
    role: str = Field(max_length=20)


class Room(SQLModel, table=True):
    """A chat group bound to the grid that names it in the roster."""

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=200, unique=True)
    grid_id: int | None = Field(default=None, foreign_key="grid.id", index=True)
    platform_id: str | None = Field(default=None, max_length=200, unique=True)


class RosterVersion(SQLModel, table=True):
    """One row whose value changes (triggers, migration 0012) on every write to the roster
    tables: look-ups kept in memory are good for as long as it stays the same."""

    __tablename__ = "roster_version"

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(sa_column=Column(BigInteger, nullable=False))


class Ticket(SQLModel, table=True):
    """A problem on the ledger (工单), from report to close."""

    __table_args__ = (
        Index("ix_ticket_status_due", "status", "due_at"),
        Index("ix_ticket_grid_status", "grid_id", "status"),
        # Covering for the briefing's counts per grid (migration 0011).
        Index("ix_ticket_status_grid_due", "status", "grid_id", "due_at"),
        Index("ix_ticket_created_grid", "created_at", "grid_id"),
        # The duplicate check: recent tickets of one grid and category (migration 0012).
        Index("ix_ticket_grid_category_created", "grid_id", "category", "created_at"),
        # Tickets resolved or closed within a period, per grid, from the index alone; only
        # tickets that have the time, so a new ticket writes neither (migration 0014).
        Index(
            "ix_ticket_resolved_grid",
            "resolved_at",
            "grid_id",
            "status",
            "due_at",
            sqlite_where=text("resolved_at IS NOT NULL"),
            postgresql_where=text("resolved_at IS NOT NULL"),
        ),
        Index(
            "ix_ticket_closed_grid",
            "closed_at",
            "grid_id",
            "status",
            sqlite_where=text("closed_at IS NOT NULL"),
            postgresql_where=text("closed_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    grid_id: int = Field(foreign_key="grid.id")
    category: str = Field(max_length=50)
    location: str = Field(max_length=500)
    description: str = Field(default="", max_length=4000)
    reporter_id: int | None = Field(default=None, foreign_key="person.id")
    responsible_id: int | None = Field(default=None, foreign_key="person.id")
    status: str = Field(default="open", max_length=20)
    room_topic: str | None = Field(default=None, max_length=200)
    created_at: datetime = _utc(index=True)  # type: ignore[assignment]
    due_at: datetime = _utc()  # type: ignore[assignment]
    accepted_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]
    resolved_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]
    closed_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]
    escalation_step: int = 0
    # Steps sent before the chain last started again (退回, 延期, 上报上级, 交办, 转办): the
    # chain position is `escalation_step - escalation_base`, and step numbers never repeat.
    escalation_base: int = 0
    # When the next escalation step is due; NULL once resolved or closed, so the sweep's
    # index range holds only live tickets.
    next_escalation_at: datetime | None = _utc(nullable=True, index=True)  # type: ignore[assignment]
    source_message_id: str | None = Field(default=None, max_length=200)
    # When the ticket reached its current grid (opened, 交办, 转办): 待受理 counts from here.
    opened_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]
    # 巡查发现 ("patrol") or 上级交办 ("assigned"): reports count them apart.
    source: str = Field(default="patrol", max_length=20)
    # The grid the ticket was first put on, once 上报上级 or 转办 has moved it.
    origin_grid_id: int | None = Field(default=None, foreign_key="grid.id")
    supervised: bool = False  # 挂牌督办
    reworks: int = 0  # 退回返工 count
    extensions: int = 0  # approved 延期 count


class TicketRequest(SQLModel, table=True):
    """A request waiting for an upper head's decision: 延期 (extension) or 申诉 (appeal).

    At most one pending request of each kind per ticket (a partial unique index); the decision
    is a conditional update on `status`, so of two heads answering at once exactly one wins.
    An appeal keeps what the escalation schedule was (`paused_next_at`, `paused_at`) and the
    ticket's status before it (`prior_status`), so a rejected appeal resumes where it stopped.
    """

    __tablename__ = "ticket_request"
    __table_args__ = (
        Index(
            "uq_ticket_request_pending",
            "ticket_id",
            "kind",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_ticket_request_status_kind", "status", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = Field(max_length=20)
    status: str = Field(default="pending", max_length=20)
    requester_id: int | None = Field(default=None, foreign_key="person.id")
    reason: str = Field(default="", max_length=2000)
    proposed_due: datetime | None = _utc(nullable=True)  # type: ignore[assignment]
    prior_status: str | None = Field(default=None, max_length=20)
    paused_next_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]
    created_at: datetime = _utc()  # type: ignore[assignment]
    decided_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]
    decider_id: int | None = Field(default=None, foreign_key="person.id")
    decision_note: str = Field(default="", max_length=2000)


class TicketSequence(SQLModel, table=True):
    """Per-day counter behind ticket codes (MMDD + number), claimed with an atomic update."""

    __tablename__ = "ticket_sequence"

    day: date = Field(primary_key=True)
    last: int = 0


class TicketEvent(SQLModel, table=True):
    """Trace of every change to a ticket (痕迹化管理): who, when, what, from which message."""

    __tablename__ = "ticket_event"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime = _utc()  # type: ignore[assignment]
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    kind: str = Field(max_length=30)
    detail: str = Field(default="", max_length=4000)
    message_id: str | None = Field(default=None, max_length=200)


class Escalation(SQLModel, table=True):
    """One escalation step sent for one ticket; the unique pair makes each step happen once."""

    __table_args__ = (UniqueConstraint("ticket_id", "step", name="uq_escalation_ticket_step"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    step: int
    target_grid_id: int = Field(foreign_key="grid.id")
    sent_at: datetime = _utc()  # type: ignore[assignment]


class BriefingLog(SQLModel, table=True):
    """Which group got which day's briefing; the unique pair makes it once a day."""

    __tablename__ = "briefing_log"
    __table_args__ = (UniqueConstraint("room_topic", "day", name="uq_briefing_room_day"),)

    id: int | None = Field(default=None, primary_key=True)
    room_topic: str = Field(max_length=200)
    day: date = Field(index=True)


class InboundMessage(SQLModel, table=True):
    """Platform message ids already handled, so a redelivery does nothing twice."""

    __tablename__ = "inbound_message"

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=200, unique=True)
    received_at: datetime = _utc()  # type: ignore[assignment]
    room_topic: str | None = Field(default=None, max_length=200)
    sender_id: str = Field(default="", max_length=200)


class Outbox(SQLModel, table=True):
    """Every message the bot sends, written before it is delivered.

    `dedupe_key` is unique: the same reply, ping or briefing cannot be queued twice.
    `mentions` holds person ids as a comma-separated list.
    """

    __table_args__ = (Index("ix_outbox_status_next", "status", "priority", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=300, unique=True)
    room_topic: str | None = Field(default=None, max_length=200)
    private_person_id: int | None = Field(default=None, foreign_key="person.id")
    text: str = Field(max_length=20000)
    mentions: str = Field(default="", max_length=2000)
    # Lower goes first: 0 replies to people waiting, 1 escalation pings, 2 briefings.
    priority: int = 1
    kind: str = Field(default="reply", max_length=20)
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    created_at: datetime = _utc()  # type: ignore[assignment]
    next_attempt_at: datetime = _utc()  # type: ignore[assignment]
    sent_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]
    platform_message_id: str | None = Field(default=None, max_length=200)
    last_error: str | None = Field(default=None, max_length=2000)
    # Who holds the claim (one token per claim), and when the transport call started: a row
    # with a start but no `sent_at` may or may not have gone out, so it is never resent.
    claim_token: str | None = Field(default=None, max_length=32)
    attempt_started_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]
    # A file to send instead of text (a report's chart, the monthly ledger): its path.
    attachment: str | None = Field(default=None, max_length=1000)


class Evidence(SQLModel, table=True):
    """A photo, video or file attached to a ticket as evidence (痕迹化管理).

    `status` is "pending" (claimed when the message was handled; `ref` fetches the bytes),
    "saved" (the bytes are on disk under `path`, named by their sha256) or "missing" (every
    download attempt failed; the sender was told). `room_topic` and `private` say where the
    acknowledgement goes.
    """

    __table_args__ = (
        UniqueConstraint("message_id", name="uq_evidence_message"),
        Index("ix_evidence_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    message_id: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    status: str = Field(default="saved", max_length=20)
    file_name: str = Field(default="", max_length=300)
    sha256: str | None = Field(default=None, max_length=64)
    size: int = 0
    path: str | None = Field(default=None, max_length=1000)
    at: datetime = _utc()  # type: ignore[assignment]
    ref: str | None = Field(default=None, max_length=200)
    room_topic: str | None = Field(default=None, max_length=200)
    private: bool = False
    # "before" (现场, as reported) or "after" (整改后: sent once the ticket was 办结).
    stage: str = Field(default="before", max_length=10)


class ReportDraft(SQLModel, table=True):
    """A report the bot asked a place for; the sender's next message completes it.

    One per person and chat (`chat_key`: the group topic, or "private"), replaced when the bot
    asks again; deleted when completed.
    """

    __tablename__ = "report_draft"
    __table_args__ = (UniqueConstraint("person_id", "chat_key", name="uq_report_draft_chat"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    chat_key: str = Field(max_length=200)
    text: str = Field(max_length=4000)
    asked_at: datetime = _utc()  # type: ignore[assignment]


class Reminder(SQLModel, table=True):
    """One reminder that went out (or was coalesced into one that did), once per `key`.

    Keys name what was reminded of: ``due:<ticket>:<deadline>``, ``accept:<ticket>:<grid>``,
    ``verify:<ticket>:<resolved at>:<step>``, ``patrol:<grid>:<day>:<slot>``,
    ``meeting:<name>:<grid>:<day>``, ``alert:<alert>:<grid>:<stage>``. The unique key makes a
    reminder happen once however many sweeps run; `person_id` and `day` count the per-person cap.
    """

    __table_args__ = (Index("ix_reminder_person_day", "person_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=20)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    day: date
    sent_at: datetime = _utc()  # type: ignore[assignment]


class PatrolRecord(SQLModel, table=True):
    """A day's patrol (每日巡查) of one grid by one member: 打卡, 零报告, a photo or a report."""

    __tablename__ = "patrol_record"
    __table_args__ = (
        UniqueConstraint("person_id", "grid_id", "day", "kind", name="uq_patrol_person_day_kind"),
        Index("ix_patrol_grid_day", "grid_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    grid_id: int = Field(foreign_key="grid.id")
    day: date
    kind: str = Field(max_length=20)  # checkin | zero | photo | report
    note: str = Field(default="", max_length=2000)
    at: datetime = _utc()  # type: ignore[assignment]
    message_id: str | None = Field(default=None, max_length=200)


class MeetingRecord(SQLModel, table=True):
    """会议纪要: a meeting of a grid's level was held, with its minutes."""

    __tablename__ = "meeting_record"
    __table_args__ = (Index("ix_meeting_grid_day", "grid_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    grid_id: int = Field(foreign_key="grid.id")
    person_id: int = Field(foreign_key="person.id")
    day: date
    note: str = Field(max_length=4000)
    at: datetime = _utc()  # type: ignore[assignment]
    message_id: str | None = Field(default=None, max_length=200)


class Alert(SQLModel, table=True):
    """A heavy-pollution alert (重污染天气预警): colour, period, who issued it, when it ended."""

    id: int | None = Field(default=None, primary_key=True)
    color: str = Field(max_length=10)
    starts_at: datetime = _utc()  # type: ignore[assignment]
    ends_at: datetime = _utc(index=True)  # type: ignore[assignment]
    note: str = Field(default="", max_length=2000)
    issued_by: int | None = Field(default=None, foreign_key="person.id")
    issued_at: datetime = _utc()  # type: ignore[assignment]
    lifted_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]
    message_id: str | None = Field(default=None, max_length=200)


class AlertAck(SQLModel, table=True):
    """A group's head confirmed (收到) an alert; one per alert and grid."""

    __tablename__ = "alert_ack"
    __table_args__ = (UniqueConstraint("alert_id", "grid_id", name="uq_alert_ack_grid"),)

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id")
    grid_id: int = Field(foreign_key="grid.id")
    person_id: int = Field(foreign_key="person.id")
    at: datetime = _utc()  # type: ignore[assignment]


class OfficeUser(SQLModel, table=True):
    """An account of the district office's console (管理员 "admin" or 查看 "viewer").

    `grid_id` scopes the account to one town's subtree (NULL: the whole district). `person_id`
    is the ledger identity its actions are recorded under (a Person with no membership, so a
    roster import never touches it). `failed_logins` counts failures since the last success;
    the lock-out itself is per account and address, counted in the audit log (`locked_until`
    is not used).
    """

    __tablename__ = "office_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=300)
    role: str = Field(default="viewer", max_length=20)
    grid_id: int | None = Field(default=None, foreign_key="grid.id")
    person_id: int | None = Field(default=None, foreign_key="person.id", unique=True)
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = _utc(nullable=True)  # type: ignore[assignment]
    created_at: datetime = _utc()  # type: ignore[assignment]
    last_login_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]


class OfficeSession(SQLModel, table=True):
    """A signed-in browser: the cookie carries a random token, the table only its sha256."""

    __tablename__ = "office_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="office_user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = _utc()  # type: ignore[assignment]
    expires_at: datetime = _utc(index=True)  # type: ignore[assignment]
    ip: str = Field(default="", max_length=64)


class AuditLog(SQLModel, table=True):
    """Every office action (log-in, ticket action, roster import, alert, key): who, when, what."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc()  # type: ignore[assignment]
    user_id: int | None = Field(default=None, foreign_key="office_user.id", index=True)
    username: str = Field(default="", max_length=64)
    action: str = Field(max_length=40)
    target: str = Field(default="", max_length=200)
    detail: str = Field(default="", max_length=4000)
    ip: str = Field(default="", max_length=64)


class ApiKey(SQLModel, table=True):
    """An Open311 client's api_key, issued by the office; stored as its sha256 only."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=100)
    created_at: datetime = _utc()  # type: ignore[assignment]
    created_by: int | None = Field(default=None, foreign_key="office_user.id")
    revoked_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]


class PublicReport(SQLModel, table=True):
    """A resident's report (有奖举报) from the public form or Open311, waiting for triage.

    `status`: "triage" (in the office's queue), "routed" (an ordinary ticket now: `ticket_id`)
    or "rejected" (with `note`). `code` is the public id the reporter looks the report up by.
    """

    __tablename__ = "public_report"
    __table_args__ = (Index("ix_public_report_status_created", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    service_code: str = Field(max_length=50)
    description: str = Field(default="", max_length=4000)
    address: str = Field(default="", max_length=500)
    lat: float | None = None
    long: float | None = None
    name: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=200)
    photo_path: str | None = Field(default=None, max_length=1000)
    channel: str = Field(default="web", max_length=20)  # web | open311
    api_key_id: int | None = Field(default=None, foreign_key="api_key.id")
    status: str = Field(default="triage", max_length=20)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    note: str = Field(default="", max_length=2000)
    created_at: datetime = _utc()  # type: ignore[assignment]
    updated_at: datetime = _utc()  # type: ignore[assignment]
    routed_by: int | None = Field(default=None, foreign_key="office_user.id")
    ip_hash: str = Field(default="", max_length=64)
