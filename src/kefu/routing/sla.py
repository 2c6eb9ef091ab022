"""SLAs: which policy applies to a conversation, its due times, and the sweep that warns before a
breach and escalates after one (agent, then supervisor, then manager).

Three clocks, each counted in the policy's business hours (around the clock without a
calendar):
- first response: from the moment the conversation was handed to people until an agent's
  first public reply;
- next response: from the oldest customer message no agent has answered, once there was a
  first reply;
- resolution: from the hand-off until the conversation is resolved.

Every step (warned, breached, each escalation level) is claimed with a conditional UPDATE, so
any number of sweeping processes notify exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from kefu.accounts.models import Role, User
from kefu.conversations import events as conversation_events
from kefu.conversations.models import Conversation, Status, TimelineKind
from kefu.routing.calendar import Schedule, add_open_seconds, schedule_of
from kefu.routing.models import (
    BusinessCalendar,
    ConversationRouting,
    EscalationLevel,
    NotificationKind,
    SlaPolicy,
    SlaStage,
)
from kefu.routing.notifications import notify

METRICS = ("first_response", "next_response", "resolution")
DONE_STATUSES = (Status.RESOLVED.value, Status.CLOSED.value)
RUNNING_STATUSES = (Status.OPEN.value, Status.PENDING.value)


def policy_for(
    conversation: Conversation, policies: list[SlaPolicy] | None = None
) -> SlaPolicy | None:
    """The first active policy (by position) whose priority and channel match."""
    for policy in policies if policies is not None else active_policies():
        if policy.priority is not None and policy.priority != conversation.priority:
            continue
        if policy.channel and policy.channel != conversation.channel:
            continue
        return policy
    return None


def active_policies() -> list[SlaPolicy]:
    return list(SlaPolicy.objects.filter(is_active=True).select_related("calendar"))


@lru_cache(maxsize=32)
def _schedule(calendar_id: int, version: str) -> Schedule | None:
    calendar = BusinessCalendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        return None
    try:
        return schedule_of(calendar)
    except ValidationError:
        return None


def schedule_for(policy: SlaPolicy) -> Schedule | None:
    """The policy's business hours (None: around the clock). Cached per calendar contents."""
    if policy.calendar_id is None or policy.calendar is None:
        return None
    calendar = policy.calendar
    holidays = ",".join(str(d) for d in calendar.holidays.values_list("date", flat=True))
    return _schedule(calendar.pk, f"{calendar.timezone}|{calendar.hours}|{holidays}")


@dataclass(frozen=True)
class Due:
    first_response: datetime | None
    next_response: datetime | None
    resolution: datetime | None


def due_times(
    conversation: Conversation, routing: ConversationRouting, policy: SlaPolicy | None
) -> Due:
    """When each clock that runs for the conversation is due (None: not running)."""
    if policy is None:
        return Due(None, None, None)
    schedule = schedule_for(policy)
    start = routing.queued_at
    first = (
        add_open_seconds(schedule, start, policy.first_response_seconds)
        if conversation.first_response_at is None or routing.first_response_due_at is None
        else routing.first_response_due_at
    )
    following = None
    if conversation.first_response_at is not None and conversation.awaiting_reply_since:
        following = add_open_seconds(
            schedule, max(conversation.awaiting_reply_since, start), policy.next_response_seconds
        )
    resolution = add_open_seconds(schedule, start, policy.resolution_seconds)
    return Due(first, following, resolution)


def _policy_kept(
    routing: ConversationRouting, conversation: Conversation, by_id: dict[int, SlaPolicy]
) -> SlaPolicy | None:
    """A conversation keeps the policy it was given while only the waiting-time part of its
    priority rose (a long wait must not make it overdue at once); a priority set by a person
    or a rule picks the policy again."""
    if routing.sla_policy_id is None or routing.priority_is_manual:
        return None
    if conversation.priority != routing.computed_priority:
        return None
    return by_id.get(routing.sla_policy_id)


def warning_at(policy: SlaPolicy, start: datetime, target_seconds: int) -> datetime | None:
    """When the warning for a clock started at ``start`` is due."""
    return add_open_seconds(
        schedule_for(policy), start, target_seconds * policy.warning_percent // 100
    )


def refresh_due_times(conversation_ids: list[int] | None = None, *, limit: int = 2000) -> int:
    """Recompute the due times of routed conversations that are not closed; returns how many
    rows changed."""
    policies = active_policies()
    by_id = {policy.pk: policy for policy in policies}
    # Resolved and closed conversations run no clock: their due times stay as they were.
    rows = ConversationRouting.objects.filter(
        conversation__status__in=RUNNING_STATUSES
    ).select_related("conversation")
    if conversation_ids is not None:
        rows = rows.filter(pk__in=conversation_ids)
    changed = []
    for routing in rows.order_by("pk")[:limit]:
        conversation = routing.conversation
        policy = _policy_kept(routing, conversation, by_id) or policy_for(conversation, policies)
        due = due_times(conversation, routing, policy)
        values = (
            policy.pk if policy else None,
            due.first_response,
            due.next_response,
            due.resolution,
        )
        current = (
            routing.sla_policy_id,
            routing.first_response_due_at,
            routing.next_response_due_at,
            routing.resolution_due_at,
        )
        if values != current:
            (
                routing.sla_policy_id,
                routing.first_response_due_at,
                routing.next_response_due_at,
                routing.resolution_due_at,
            ) = values
            changed.append(routing)
    ConversationRouting.objects.bulk_update(
        changed,
        ["sla_policy", "first_response_due_at", "next_response_due_at", "resolution_due_at"],
    )
    return len(changed)


@dataclass
class SweepReport:
    warned: int = 0
    breached: int = 0
    escalated: int = 0


def check_slas(now: datetime | None = None) -> SweepReport:
    """Warn before and escalate after breaches of every running clock. Safe to run in many
    processes at once: each step is claimed by one conditional update."""
    now = now or timezone.now()
    refresh_due_times()
    report = SweepReport()
    rows = (
        ConversationRouting.objects.exclude(conversation__status__in=DONE_STATUSES)
        .filter(sla_policy__isnull=False)
        .select_related("conversation", "conversation__assignee", "sla_policy")
    )
    for routing in rows:
        conversation = routing.conversation
        policy = routing.sla_policy
        if policy is None:
            continue
        _reset_next_response(routing, conversation)
        for clock in running_clocks(routing, conversation):
            metric, due, start, target = (
                clock.metric,
                clock.due_at,
                clock.started_at,
                clock.target_seconds(policy),
            )
            stage_field = f"{metric}_stage"
            stage = getattr(routing, stage_field)
            if now >= due and stage < SlaStage.BREACHED:
                if _claim(routing, stage_field, stage, SlaStage.BREACHED):
                    _breached(routing, conversation, metric, due, now)
                    report.breached += 1
            elif stage < SlaStage.WARNED:
                warn = warning_at(policy, start, target)
                if (
                    warn is not None
                    and now >= warn
                    and _claim(routing, stage_field, stage, SlaStage.WARNED)
                ):
                    _warned(conversation, metric, due)
                    report.warned += 1
        report.escalated += _escalate_further(routing, conversation, policy, now)
    _record_first_response_outcomes()
    return report


@dataclass(frozen=True)
class RunningClock:
    """One SLA clock that is still running for a conversation."""

    metric: str
    due_at: datetime
    started_at: datetime
    stage: int

    def target_seconds(self, policy: SlaPolicy) -> int:
        return int(getattr(policy, f"{self.metric}_seconds"))


def running_clocks(routing: ConversationRouting, conversation: Conversation) -> list[RunningClock]:
    """The clocks still running: first response until the first reply, next response while a
    customer message waits for an answer, resolution until resolved. The sweep, the board and
    the side bar all read them here."""
    clocks = []
    if conversation.first_response_at is None and routing.first_response_due_at:
        clocks.append(
            RunningClock(
                "first_response",
                routing.first_response_due_at,
                routing.queued_at,
                routing.first_response_stage,
            )
        )
    if routing.next_response_due_at and conversation.awaiting_reply_since:
        clocks.append(
            RunningClock(
                "next_response",
                routing.next_response_due_at,
                max(conversation.awaiting_reply_since, routing.queued_at),
                routing.next_response_stage,
            )
        )
    if routing.resolution_due_at and conversation.status not in DONE_STATUSES:
        clocks.append(
            RunningClock(
                "resolution", routing.resolution_due_at, routing.queued_at, routing.resolution_stage
            )
        )
    return clocks


def _reset_next_response(routing: ConversationRouting, conversation: Conversation) -> None:
    """A new customer wait after an agent's reply starts the next-response clock over."""
    waiting = conversation.awaiting_reply_since
    if waiting == routing.next_response_for:
        return
    updated = ConversationRouting.objects.filter(
        pk=routing.pk, next_response_for=routing.next_response_for
    ).update(next_response_for=waiting, next_response_stage=SlaStage.NONE)
    if updated:
        routing.next_response_for = waiting
        routing.next_response_stage = SlaStage.NONE


def _claim(routing: ConversationRouting, stage_field: str, current: int, stage: int) -> bool:
    won = ConversationRouting.objects.filter(pk=routing.pk, **{f"{stage_field}__lt": stage}).update(
        **{stage_field: stage}
    )
    if won:
        setattr(routing, stage_field, stage)
    return bool(won)


def _team_supervisors(conversation: Conversation) -> list[User]:
    users = list(
        User.objects.filter(
            is_active=True, role=Role.SUPERVISOR, teams__queue=conversation.queue
        ).distinct()
    )
    return users or list(User.objects.filter(is_active=True, role=Role.SUPERVISOR))


def _managers() -> list[User]:
    return list(User.objects.filter(is_active=True, role=Role.ADMIN))


def _warned(conversation: Conversation, metric: str, due: datetime) -> None:
    with transaction.atomic():
        conversation_events.record_timeline(
            conversation,
            TimelineKind.SLA_WARNING,
            data={"metric": metric, "due_at": due.isoformat()},
        )
        recipients = (
            [conversation.assignee] if conversation.assignee else _team_supervisors(conversation)
        )
        notify(
            recipients,
            NotificationKind.SLA_WARNING,
            conversation_id=conversation.pk,
            data={"metric": metric, "due_at": due.isoformat()},
        )


def _breached(
    routing: ConversationRouting,
    conversation: Conversation,
    metric: str,
    due: datetime,
    now: datetime,
) -> None:
    """Record the breach and escalate to the first level: the assigned agent (the team's
    supervisors when nobody has it)."""
    with transaction.atomic():
        conversation_events.record_timeline(
            conversation,
            TimelineKind.SLA_BREACHED,
            data={"metric": metric, "due_at": due.isoformat()},
        )
        level = EscalationLevel.AGENT if conversation.assignee else EscalationLevel.SUPERVISOR
        claimed = ConversationRouting.objects.filter(
            pk=routing.pk, escalation_level__lt=level
        ).update(escalation_level=level, escalated_at=now)
        recipients = (
            [conversation.assignee] if conversation.assignee else _team_supervisors(conversation)
        )
        notify(
            recipients,
            NotificationKind.SLA_BREACHED,
            conversation_id=conversation.pk,
            data={"metric": metric, "due_at": due.isoformat(), "level": int(level)},
        )
        if claimed:
            routing.escalation_level, routing.escalated_at = level, now
            conversation_events.record_timeline(
                conversation, TimelineKind.ESCALATED, data={"level": int(level), "metric": metric}
            )


def _escalate_further(
    routing: ConversationRouting, conversation: Conversation, policy: SlaPolicy, now: datetime
) -> int:
    """A breach still open a step after the last escalation goes one level up: supervisor,
    then manager."""
    breached_running = any(
        getattr(routing, f"{clock.metric}_stage") == SlaStage.BREACHED
        for clock in running_clocks(routing, conversation)
    )
    if (
        not breached_running
        or routing.escalated_at is None
        or routing.escalation_level >= EscalationLevel.MANAGER
        or now - routing.escalated_at < timedelta(seconds=policy.escalation_step_seconds)
    ):
        return 0
    level = routing.escalation_level + 1
    with transaction.atomic():
        claimed = ConversationRouting.objects.filter(
            pk=routing.pk, escalation_level=routing.escalation_level
        ).update(escalation_level=level, escalated_at=now)
        if not claimed:
            return 0
        routing.escalation_level, routing.escalated_at = level, now
        recipients = (
            _team_supervisors(conversation) if level == EscalationLevel.SUPERVISOR else _managers()
        )
        conversation_events.record_timeline(
            conversation, TimelineKind.ESCALATED, data={"level": level}
        )
        notify(
            recipients,
            NotificationKind.ESCALATED,
            conversation_id=conversation.pk,
            data={"level": level},
        )
    return 1


def _record_first_response_outcomes() -> None:
    """Keep, once answered, whether the first reply came after its due time (attainment)."""
    ConversationRouting.objects.filter(
        conversation__first_response_at__isnull=False,
        first_response_due_at__isnull=False,
        first_response_breached=False,
        conversation__first_response_at__gt=F("first_response_due_at"),
    ).update(first_response_breached=True)
    ConversationRouting.objects.filter(
        Q(conversation__resolved_at__isnull=False)
        & Q(resolution_due_at__isnull=False)
        & Q(resolution_breached=False)
        & Q(conversation__resolved_at__gt=F("resolution_due_at"))
    ).update(resolution_breached=True)
