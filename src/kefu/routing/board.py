"""Read models for supervisors: the live SLA board and the team overview."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from kefu.accounts.models import User
from kefu.conversations.models import Conversation, Status
from kefu.lib.taxonomy import queue_name, queues
from kefu.routing.models import AgentProfile, ConversationRouting, Presence, SlaStage
from kefu.routing.services import ACTIVE_STATUSES, CHAT_CHANNELS
from kefu.routing.sla import running_clocks

BOARD_ROWS = 100


@dataclass(frozen=True)
class Clock:
    """The next running SLA clock of one conversation."""

    conversation: Conversation
    metric: str
    due_at: datetime
    stage: int
    escalation_level: int

    @property
    def seconds_left(self) -> int:
        return int((self.due_at - timezone.now()).total_seconds())

    @property
    def is_breached(self) -> bool:
        return self.seconds_left < 0

    @property
    def is_at_risk(self) -> bool:
        return not self.is_breached and self.stage >= SlaStage.WARNED


@dataclass(frozen=True)
class QueueLine:
    queue: str
    name: str
    waiting: int
    oldest_wait_seconds: int
    agents_online: int


@dataclass
class Board:
    clocks: list[Clock] = field(default_factory=list)
    breached: int = 0
    at_risk: int = 0
    on_track: int = 0
    first_response_attainment: float | None = None
    first_responses: int = 0
    queues: list[QueueLine] = field(default_factory=list)


def sla_board(queue: str = "", *, now: datetime | None = None) -> Board:
    """Every conversation with a running SLA clock, the nearest due first; counts of breached,
    at-risk and on-track; first-response attainment over the last 24 hours; each queue's
    waiting conversations and online agents."""
    now = now or timezone.now()
    rows = (
        ConversationRouting.objects.filter(
            conversation__status__in=ACTIVE_STATUSES, sla_policy__isnull=False
        )
        .select_related("conversation", "conversation__assignee", "conversation__customer")
        .order_by("pk")
    )
    if queue:
        rows = rows.filter(conversation__queue=queue)
    board = Board()
    for routing in rows[:5000]:
        running = running_clocks(routing, routing.conversation)
        if not running:
            continue
        nearest = min(running, key=lambda clock: clock.due_at)
        metric, due, stage = nearest.metric, nearest.due_at, nearest.stage
        item = Clock(routing.conversation, metric, due, stage, routing.escalation_level)
        if due <= now:
            board.breached += 1
        elif stage >= SlaStage.WARNED:
            board.at_risk += 1
        else:
            board.on_track += 1
        board.clocks.append(item)
    board.clocks.sort(key=lambda clock: clock.due_at)
    board.clocks = board.clocks[:BOARD_ROWS]
    answered = ConversationRouting.objects.filter(
        conversation__first_response_at__gte=now - timedelta(hours=24),
        first_response_due_at__isnull=False,
    )
    if queue:
        answered = answered.filter(conversation__queue=queue)
    totals = answered.aggregate(
        n=Count("pk"),
        late=Count("pk", filter=Q(first_response_breached=True)),
    )
    board.first_responses = totals["n"]
    if totals["n"]:
        board.first_response_attainment = 100.0 * (totals["n"] - totals["late"]) / totals["n"]
    board.queues = queue_lines(now)
    return board


def queue_lines(now: datetime) -> list[QueueLine]:
    waiting = dict(
        Conversation.objects.filter(
            routing__isnull=False, assignee__isnull=True, status=Status.OPEN
        )
        .values_list("queue")
        .annotate(n=Count("pk"))
        .values_list("queue", "n")
    )
    oldest: dict[str, datetime] = {}
    for queue_id, queued_at in ConversationRouting.objects.filter(
        conversation__assignee__isnull=True, conversation__status=Status.OPEN
    ).values_list("conversation__queue", "queued_at"):
        oldest[queue_id] = min(oldest.get(queue_id, queued_at), queued_at)
    online = dict(
        AgentProfile.objects.filter(presence=Presence.ONLINE, user__is_active=True)
        .values_list("user__teams__queue")
        .annotate(n=Count("pk"))
        .values_list("user__teams__queue", "n")
    )
    return [
        QueueLine(
            queue_id,
            queue_name(queue_id),
            waiting.get(queue_id, 0),
            int((now - oldest[queue_id]).total_seconds()) if queue_id in oldest else 0,
            online.get(queue_id, 0),
        )
        for queue_id in queues()
    ]


@dataclass(frozen=True)
class AgentLine:
    user: User
    profile: AgentProfile
    chats: int
    tickets: int
    queues: list[str]


def team_overview() -> list[AgentLine]:
    """Every active staff member with presence, load against capacity and teams."""
    users = list(User.objects.filter(is_active=True).prefetch_related("teams").order_by("username"))
    profiles = {p.user_id: p for p in AgentProfile.objects.filter(user__in=users)}
    loads = {
        row["assignee_id"]: row
        for row in Conversation.objects.filter(assignee__in=users, status__in=ACTIVE_STATUSES)
        .values("assignee_id")
        .annotate(
            chats=Count("pk", filter=Q(channel__in=CHAT_CHANNELS)),
            tickets=Count("pk", filter=~Q(channel__in=CHAT_CHANNELS)),
        )
    }
    lines = []
    for user in users:
        profile = profiles.get(user.pk) or AgentProfile(user=user)
        load = loads.get(user.pk, {"chats": 0, "tickets": 0})
        lines.append(
            AgentLine(
                user,
                profile,
                load["chats"],
                load["tickets"],
                [team.queue for team in user.teams.all()],
            )
        )
    return lines
