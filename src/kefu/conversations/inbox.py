"""Inbox queries: which conversations a staff member sees in each view, newest first."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from kefu.accounts.models import User
from kefu.conversations.access import visible_conversations
from kefu.conversations.models import Channel, Conversation, Status
from kefu.lib.taxonomy import queues

VIEWS = ("mine", "unassigned", "all")
DEFAULT_STATUSES = (Status.OPEN.value,)
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class InboxFilter:
    """A view (mine, unassigned, all, or one queue) and optional status and channel filters."""

    view: str = "all"
    queue: str = ""
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    channel: str = ""

    @property
    def key(self) -> str:
        return f"queue:{self.queue}" if self.queue else self.view


def parse_inbox_filter(view: str = "", status: str = "", channel: str = "") -> InboxFilter:
    """Read a filter from request parameters; unknown values fall back to the defaults."""
    queue = ""
    if view.startswith("queue:") and view[6:] in queues():
        queue = view[6:]
        view = "queue"
    elif view not in VIEWS:
        view = "all"
    if status == "any":
        statuses: tuple[str, ...] = tuple(Status.values)
    else:
        statuses = tuple(s for s in status.split(",") if s in Status.values) or DEFAULT_STATUSES
    return InboxFilter(
        view=view,
        queue=queue,
        statuses=statuses,
        channel=channel if channel in Channel.values else "",
    )


def inbox_queryset(user: User, inbox: InboxFilter) -> QuerySet[Conversation]:
    """Conversations in ``inbox`` that ``user`` may see, newest activity first."""
    conversations = visible_conversations(user)
    if set(inbox.statuses) != set(Status.values):
        conversations = conversations.filter(status__in=inbox.statuses)
    if inbox.view == "mine":
        conversations = conversations.filter(assignee=user)
    elif inbox.view == "unassigned":
        conversations = conversations.filter(assignee__isnull=True)
    elif inbox.queue:
        conversations = conversations.filter(queue=inbox.queue)
    if inbox.channel:
        conversations = conversations.filter(channel=inbox.channel)
    return conversations.order_by("-last_message_at", "-id")


@dataclass(frozen=True)
class InboxPage:
    conversations: list[Conversation]
    next_cursor: str | None


def inbox_page(
    user: User, inbox: InboxFilter, *, cursor: str = "", limit: int = PAGE_SIZE
) -> InboxPage:
    """One page of the inbox; ``cursor`` continues after the previous page (keyset paging,
    so the cost does not grow with the table)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    conversations = inbox_queryset(user, inbox).select_related("customer", "assignee")
    position = decode_cursor(cursor)
    if position is not None:
        at, pk = position
        conversations = conversations.filter(
            Q(last_message_at__lt=at) | Q(last_message_at=at, id__lt=pk)
        )
    rows = list(conversations[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return InboxPage(rows[:limit], next_cursor)


def encode_cursor(conversation: Conversation) -> str:
    raw = f"{conversation.last_message_at.isoformat()}|{conversation.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    if not cursor or len(cursor) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, pk = raw.split("|")
        return datetime.fromisoformat(at), int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


@dataclass
class InboxCounts:
    """Open conversations per view, for the inbox's side bar."""

    mine: int = 0
    unassigned: int = 0
    all: int = 0
    queues: dict[str, int] = field(default_factory=dict)


def inbox_counts(user: User) -> InboxCounts:
    """Count open conversations in each view (two queries)."""
    open_conversations = visible_conversations(user).filter(status=Status.OPEN)
    totals = open_conversations.aggregate(
        mine=Count("id", filter=Q(assignee=user)),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
        all=Count("id"),
    )
    per_queue = dict(open_conversations.order_by().values_list("queue").annotate(count=Count("id")))
    return InboxCounts(
        mine=totals["mine"],
        unassigned=totals["unassigned"],
        all=totals["all"],
        queues={queue: per_queue.get(queue, 0) for queue in queues()},
    )
