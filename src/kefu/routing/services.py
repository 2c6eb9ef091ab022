"""Routing: a conversation handed to people gets its queue, its priority (with the reasons), the
automation rules, and the best free agent, or waits in its queue in priority order.

Assignment is safe under concurrency: a slot is taken only while the agent's profile row is
locked (``SELECT … FOR UPDATE``; SQLite serialises writers), and the agent's load is counted
again under that lock, so two conversations never get the same last free slot and nobody gets
more than their capacity. Locks are always taken agent first, then conversation.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, Q, Value, When
from django.db.models.expressions import OrderBy
from django.utils import timezone

from kefu.accounts.events import record_audit
from kefu.accounts.models import Team, User
from kefu.conversations import events as conversation_events
from kefu.conversations.models import (
    AuthorType,
    Channel,
    Conversation,
    Message,
    Priority,
    Status,
    TimelineKind,
)
from kefu.conversations.services import lock_conversation
from kefu.lib.live import LiveEvent, publish_on_commit
from kefu.lib.taxonomy import intents, queues
from kefu.routing import priority as priorities
from kefu.routing import sla
from kefu.routing.models import (
    AgentProfile,
    ConsoleConnection,
    ConversationRouting,
    NotificationKind,
    Presence,
)
from kefu.routing.notifications import notify

logger = logging.getLogger(__name__)

CHAT_CHANNELS = (Channel.WIDGET.value, Channel.TELEGRAM.value)
# Conversations that occupy an agent's capacity.
ACTIVE_STATUSES = (Status.OPEN.value, Status.PENDING.value)
COMPLAINT_INTENT = "feedback.complaint"
# How much each part of an agent's fit weighs.
LANGUAGE_POINTS = 30
SKILL_POINTS = 10
AFFINITY_POINTS = 15
LOAD_POINTS = 40
SENIORITY_POINTS = 5
PRESENCE_GROUP = "routing.presence"


def is_chat(channel: str) -> bool:
    """Chats (widget, Telegram) count against concurrent-chat capacity, the rest as tickets."""
    return channel in CHAT_CHANNELS


def profile_for(user: User) -> AgentProfile:
    """The user's routing profile, created with the defaults on first use."""
    profile, _created = AgentProfile.objects.get_or_create(user=user)
    return profile


# --- routing one conversation -------------------------------------------------------------


@dataclass(frozen=True)
class Routed:
    """What routing decided for one conversation."""

    conversation_id: int
    queue: str
    priority: int
    reasons: list[priorities.Reason]
    assignee_id: int | None
    rules_fired: list[int] = field(default_factory=list)


def route_conversation(
    conversation_id: int, *, bot_urgent: bool = False, now: datetime | None = None
) -> Routed | None:
    """Hand a conversation to people: the queue of its intent (first time only), its computed
    priority, the automation rules, a complaint case for complaints, then the best free agent.

    Safe to call again (a second hand-off re-queues without resetting the wait or running the
    rules again). Returns None for a closed or missing conversation.
    """
    now = now or timezone.now()
    with transaction.atomic():
        try:
            conversation = lock_conversation(conversation_id)
        except Conversation.DoesNotExist:
            return None
        if conversation.status == Status.CLOSED:
            return None
        routing, created = ConversationRouting.objects.get_or_create(
            conversation=conversation, defaults={"queued_at": now}
        )
        previous_queue = conversation.queue
        intent = intents().get(conversation.intent)
        if created and conversation.assignee_id is None and intent and intent.queue in queues():
            conversation.queue = intent.queue
        computed = _compute(conversation, routing, bot_urgent=bot_urgent, now=now)
        _apply_computed(conversation, routing, computed, force=created)
        conversation.save(update_fields=["queue", "priority"])
        routing.save()
        conversation_events.record_timeline(
            conversation,
            TimelineKind.ROUTED,
            data={
                "queue": conversation.queue,
                "priority": conversation.priority,
                "score": computed.score,
                "reasons": list(computed.reasons),
            },
        )
        conversation_events.publish_conversation_changed(
            conversation, previous_queue=previous_queue
        )
    # Rules run when a conversation first reaches people: a second hand-off does not send
    # their canned replies or notifications again.
    fired = _apply_rules(conversation_id, now) if created else []
    sla.refresh_due_times([conversation_id])
    if conversation.intent == COMPLAINT_INTENT and apps.is_installed("kefu.complaints"):
        from kefu.complaints.errors import CaseChangeNotAllowed, NoCaseOwner
        from kefu.complaints.models import CaseSource
        from kefu.complaints.services import open_case

        try:
            open_case(conversation_id, source=CaseSource.INTENT)
        except (NoCaseOwner, CaseChangeNotAllowed):
            logger.warning("no complaint case for conversation %s", conversation_id)
    # The queue is served in its order: a new arrival does not take a slot ahead of those
    # due before it.
    assign_waiting(now=now, queues_only=[_queue_of(conversation_id)])
    conversation.refresh_from_db(fields=["queue", "priority", "assignee"])
    assignee = conversation.assignee_id
    return Routed(
        conversation_id,
        conversation.queue,
        conversation.priority,
        list(computed.reasons),
        assignee,
        fired,
    )


def _queue_of(conversation_id: int) -> str:
    return str(Conversation.objects.values_list("queue", flat=True).get(pk=conversation_id))


def _compute(
    conversation: Conversation,
    routing: ConversationRouting,
    *,
    bot_urgent: bool,
    now: datetime,
) -> priorities.Computed:
    analyses = (
        Message.objects.filter(
            conversation=conversation, author_type=AuthorType.CUSTOMER, analysis__isnull=False
        )
        .order_by("-pk")
        .values_list("analysis", flat=True)[:20]
    )
    customer = conversation.customer
    was_urgent = bot_urgent or any(
        reason.get("factor") == "bot" for reason in routing.priority_reasons or ()
    )
    facts = priorities.facts_from(
        intent=conversation.intent,
        analyses=list(analyses),
        vip_tier=customer.vip_tier,
        security_level=customer.security_level,
        bot_urgent=was_urgent,
        waiting_since=routing.queued_at if conversation.first_response_at is None else None,
    )
    return priorities.compute_priority(facts, now)


def _apply_computed(
    conversation: Conversation,
    routing: ConversationRouting,
    computed: priorities.Computed,
    *,
    force: bool = False,
) -> bool:
    """Keep the computation on the routing row; raise the conversation's priority to it unless
    a person or rule chose the priority. Returns whether the priority changed."""
    if (
        not force
        and routing.computed_priority is not None
        and conversation.priority != routing.computed_priority
    ):
        routing.priority_is_manual = True
    routing.priority_score = computed.score
    routing.priority_reasons = list(computed.reasons)
    if routing.priority_is_manual:
        return False
    level = int(computed.priority)
    if force and conversation.priority > Priority.NORMAL:
        # The bot or the intake raised it (a takeover, an API priority): never lower that.
        level = max(level, int(conversation.priority))
    level = max(level, routing.computed_priority or 0)
    routing.computed_priority = level
    if level == conversation.priority:
        return False
    conversation.priority = level
    return True


def _apply_rules(conversation_id: int, now: datetime) -> list[int]:
    """Run the supervisors' automation rules (kefu.rules) and apply the queue and priority
    they chose."""
    if not apps.is_installed("kefu.rules"):
        return []
    from kefu.rules.services import apply_rules

    outcome = apply_rules(conversation_id, now=now)
    if outcome.queue is None and outcome.priority is None:
        return list(outcome.fired)
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        previous_queue = conversation.queue
        if outcome.queue in queues() and conversation.assignee_id is None:
            conversation.queue = str(outcome.queue)
        if outcome.priority in Priority.values:
            conversation.priority = int(outcome.priority or conversation.priority)
            ConversationRouting.objects.filter(pk=conversation_id).update(
                priority_is_manual=True, computed_priority=conversation.priority
            )
        conversation.save(update_fields=["queue", "priority"])
        conversation_events.publish_conversation_changed(
            conversation, previous_queue=previous_queue
        )
    return list(outcome.fired)


def refresh_priorities(now: datetime | None = None, *, limit: int = 500) -> int:
    """Recompute the priority of conversations waiting for a first response (waiting time adds
    points); returns how many rose. Run by the routing sweep."""
    now = now or timezone.now()
    waiting = list(
        ConversationRouting.objects.filter(
            conversation__status=Status.OPEN,
            conversation__first_response_at__isnull=True,
            priority_is_manual=False,
        )
        .order_by("queued_at")
        .values_list("pk", flat=True)[:limit]
    )
    raised = 0
    for conversation_id in waiting:
        with transaction.atomic():
            conversation = lock_conversation(conversation_id)
            routing = ConversationRouting.objects.get(pk=conversation_id)
            computed = _compute(conversation, routing, bot_urgent=False, now=now)
            previous = conversation.priority
            before = (
                routing.priority_score,
                routing.priority_reasons,
                routing.computed_priority,
                routing.priority_is_manual,
            )
            changed = _apply_computed(conversation, routing, computed)
            after = (
                routing.priority_score,
                routing.priority_reasons,
                routing.computed_priority,
                routing.priority_is_manual,
            )
            if after != before:
                routing.save(
                    update_fields=[
                        "priority_score",
                        "priority_reasons",
                        "computed_priority",
                        "priority_is_manual",
                    ]
                )
            if changed:
                conversation.save(update_fields=["priority"])
                conversation_events.record_timeline(
                    conversation,
                    TimelineKind.PRIORITY_CHANGED,
                    data={"from": previous, "to": conversation.priority, "automatic": True},
                )
                conversation_events.publish_conversation_changed(conversation)
                raised += 1
    return raised


# --- choosing and claiming an agent -------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """An agent who could take a conversation, and why they fit."""

    user_id: int
    name: str
    score: float
    load: int
    capacity: int
    reasons: list[str]


def _loads(user_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(chats, tickets) each agent has open or pending."""
    rows = (
        Conversation.objects.filter(assignee_id__in=list(user_ids), status__in=ACTIVE_STATUSES)
        .values("assignee_id")
        .annotate(
            chats=Count("pk", filter=Q(channel__in=CHAT_CHANNELS)),
            tickets=Count("pk", filter=~Q(channel__in=CHAT_CHANNELS)),
        )
    )
    return {row["assignee_id"]: (row["chats"], row["tickets"]) for row in rows}


def last_helper_of(conversation: Conversation) -> int | None:
    """The agent who last answered this customer in another conversation."""
    return (
        Conversation.objects.filter(
            customer_id=conversation.customer_id,
            first_response_at__isnull=False,
            assignee__isnull=False,
        )
        .exclude(pk=conversation.pk)
        .order_by("-last_message_at")
        .values_list("assignee_id", flat=True)
        .first()
    )


def rank_agents(conversation: Conversation) -> list[Candidate]:
    """Online agents of the conversation's team with a free slot of its kind, best first:
    language, skill in the queue, affinity to the agent who last helped the customer, spare
    capacity, seniority for high priorities; the longest without a new conversation first
    among equals."""
    profiles = list(
        AgentProfile.objects.filter(
            presence=Presence.ONLINE,
            user__is_active=True,
            user__teams__queue=conversation.queue,
        ).select_related("user")
    )
    if not profiles:
        return []
    loads = _loads(p.user_id for p in profiles)
    chat = is_chat(conversation.channel)
    helper = last_helper_of(conversation)
    ranked: list[tuple[float, float, Candidate]] = []
    for profile in profiles:
        chats, tickets = loads.get(profile.user_id, (0, 0))
        load, capacity = (
            (chats, profile.chat_capacity) if chat else (tickets, profile.ticket_capacity)
        )
        if load >= capacity:
            continue
        score = 0.0
        reasons = []
        spoken = profile.user.languages_spoken or []
        if conversation.language in spoken:
            score += LANGUAGE_POINTS
            reasons.append(f"language:{conversation.language}")
        skill = profile.skill_in(conversation.queue)
        score += SKILL_POINTS * skill
        reasons.append(f"skill:{skill}")
        if helper == profile.user_id:
            score += AFFINITY_POINTS
            reasons.append("affinity")
        score -= LOAD_POINTS * load / capacity
        reasons.append(f"load:{load}/{capacity}")
        if conversation.priority >= Priority.HIGH:
            score += SENIORITY_POINTS * profile.seniority
            reasons.append(f"seniority:{profile.seniority}")
        waited = -(profile.last_assigned_at.timestamp() if profile.last_assigned_at else 0.0)
        candidate = Candidate(
            profile.user_id, profile.user.public_name, score, load, capacity, reasons
        )
        ranked.append((score, waited, candidate))
    ranked.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [candidate for _score, _waited, candidate in ranked]


class Claim(enum.Enum):
    ASSIGNED = "assigned"
    FULL = "full"  # this agent has no free slot now: try the next one
    GONE = "gone"  # the conversation was taken or closed meanwhile: stop


def claim_slot(candidate: Candidate, conversation_id: int, *, now: datetime) -> Claim:
    """Give the conversation to the candidate if, under the lock of their profile, they are
    still online with a free slot and the conversation is still waiting."""
    with transaction.atomic():
        profile = (
            AgentProfile.objects.select_for_update()
            .select_related("user")
            .filter(user_id=candidate.user_id)
            .first()
        )
        if profile is None or profile.presence != Presence.ONLINE or not profile.user.is_active:
            return Claim.FULL
        conversation = Conversation.objects.only("channel").get(pk=conversation_id)
        chat = is_chat(conversation.channel)
        chats, tickets = _loads([candidate.user_id]).get(candidate.user_id, (0, 0))
        load, capacity = (
            (chats, profile.chat_capacity) if chat else (tickets, profile.ticket_capacity)
        )
        if load >= capacity:
            return Claim.FULL
        conversation = lock_conversation(conversation_id)
        if conversation.assignee_id is not None or conversation.status != Status.OPEN:
            return Claim.GONE
        conversation.assignee = profile.user
        conversation.save(update_fields=["assignee"])
        AgentProfile.objects.filter(pk=profile.pk).update(last_assigned_at=now)
        ConversationRouting.objects.filter(pk=conversation_id).update(routed_at=now)
        conversation_events.record_timeline(
            conversation,
            TimelineKind.ASSIGNED,
            data={
                "assignee": profile.user_id,
                "assignee_name": profile.user.public_name,
                "queue": conversation.queue,
                "automatic": True,
                "fit": candidate.reasons,
            },
        )
        conversation_events.publish_conversation_changed(conversation, previous_assignee_id=None)
        notify(
            [profile.user],
            NotificationKind.ASSIGNED,
            conversation_id=conversation_id,
            data={"priority": conversation.priority},
        )
    return Claim.ASSIGNED


def assign_best_agent(conversation_id: int, *, now: datetime | None = None) -> int | None:
    """Give a waiting conversation to the best agent with a free slot; returns their id, or
    None when it keeps waiting in its queue."""
    now = now or timezone.now()
    conversation = (
        Conversation.objects.select_related("customer")
        .filter(pk=conversation_id, assignee__isnull=True, status=Status.OPEN)
        .first()
    )
    if conversation is None:
        return None
    for candidate in rank_agents(conversation):
        claim = claim_slot(candidate, conversation_id, now=now)
        if claim is Claim.ASSIGNED:
            return candidate.user_id
        if claim is Claim.GONE:
            return None
    return None


def serving_order(now: datetime | None = None) -> tuple[OrderBy, ...]:
    """The order a queue is served in: urgent conversations first; then those that can still
    get their first response in time, the nearest due first; then those already late, the
    longest overdue first; among equals, priority and then the longest wait.

    Serving the late ones first (plain earliest-deadline-first) makes everybody late in a
    burst: measured by ``bench/routing.py``, this order answers more conversations of every
    priority in time than both that and round robin, and urgent ones wait a third as long
    as with round robin (BENCHMARKS.md)."""
    now = now or timezone.now()
    tier = Case(
        When(priority__gte=Priority.URGENT, then=Value(0)),
        When(routing__first_response_due_at__lt=now, then=Value(2)),
        default=Value(1),
    )
    return (
        tier.asc(),
        F("routing__first_response_due_at").asc(nulls_last=True),
        F("priority").desc(),
        F("routing__queued_at").asc(),
        F("pk").asc(),
    )


def waiting_conversations(queue: str | None = None) -> list[Conversation]:
    """Conversations waiting for an agent, in the order they are served."""
    waiting = Conversation.objects.filter(
        routing__isnull=False, assignee__isnull=True, status=Status.OPEN
    )
    if queue:
        waiting = waiting.filter(queue=queue)
    return list(
        waiting.select_related("customer", "routing").order_by(*serving_order(timezone.now()))
    )


def assign_waiting(
    *, now: datetime | None = None, queues_only: Iterable[str] | None = None, limit: int = 500
) -> int:
    """Serve the queues: each waiting conversation, in serving order, goes to the best agent
    with a free slot of its kind. Queues (and kinds) with nobody free are skipped without a
    query per conversation. Returns how many were assigned."""
    now = now or timezone.now()
    free = _free_slots()
    if queues_only is not None:
        wanted = set(queues_only)
        free = {key for key in free if key[0] in wanted}
    if not free:
        return 0
    waiting = (
        Conversation.objects.filter(
            routing__isnull=False,
            assignee__isnull=True,
            status=Status.OPEN,
            queue__in={queue for queue, _chat in free},
        )
        .order_by(*serving_order(now))
        .values_list("pk", "queue", "channel")[:limit]
    )
    assigned = 0
    for conversation_id, queue, channel in list(waiting):
        if (queue, is_chat(channel)) not in free:
            continue
        if assign_best_agent(conversation_id, now=now) is not None:
            assigned += 1
        else:
            free = _free_slots() & free
            if not free:
                break
    return assigned


def _free_slots() -> set[tuple[str, bool]]:
    """(queue, is chat) pairs that at least one online agent of the queue's team has a free
    slot for."""
    profiles = list(
        AgentProfile.objects.filter(presence=Presence.ONLINE, user__is_active=True).values_list(
            "user_id", "chat_capacity", "ticket_capacity"
        )
    )
    if not profiles:
        return set()
    loads = _loads(user_id for user_id, _c, _t in profiles)
    free_for: dict[bool, list[int]] = {True: [], False: []}
    for user_id, chat_capacity, ticket_capacity in profiles:
        chats, tickets = loads.get(user_id, (0, 0))
        if chats < chat_capacity:
            free_for[True].append(user_id)
        if tickets < ticket_capacity:
            free_for[False].append(user_id)
    slots: set[tuple[str, bool]] = set()
    for chat, users in free_for.items():
        if users:
            queues_of = Team.objects.filter(members__in=users).values_list("queue", flat=True)
            slots |= {(queue, chat) for queue in queues_of.distinct()}
    return slots


# --- presence -------------------------------------------------------------------------------


def set_presence(user: User, presence: str, *, now: datetime | None = None) -> AgentProfile:
    """Set a staff member's presence (online, away, offline). Going online serves the queues
    they work at once. Raises ValueError for an unknown presence."""
    if presence not in Presence.values:
        raise ValueError(presence)
    now = now or timezone.now()
    profile = profile_for(user)
    with transaction.atomic():
        changed = (
            AgentProfile.objects.filter(pk=profile.pk)
            .exclude(presence=presence)
            .update(presence=presence, presence_changed_at=now)
        )
        if changed:
            profile.presence, profile.presence_changed_at = presence, now
            _publish_presence(user.pk, presence)
    if changed and presence == Presence.ONLINE:
        assign_waiting(now=now, queues_only=user.teams.values_list("queue", flat=True))
    return profile


def console_connected(user: User, channel_name: str, *, now: datetime | None = None) -> None:
    """A console websocket of ``user`` opened (in any process)."""
    now = now or timezone.now()
    ConsoleConnection.objects.update_or_create(
        channel_name=channel_name[:200], defaults={"user": user, "last_seen_at": now}
    )


def console_seen(channel_name: str, *, now: datetime | None = None) -> None:
    """The console behind ``channel_name`` is still there (its periodic ping)."""
    ConsoleConnection.objects.filter(channel_name=channel_name[:200]).update(
        last_seen_at=now or timezone.now()
    )


def console_disconnected(channel_name: str, *, now: datetime | None = None) -> None:
    """A console websocket closed. With no console left open, the staff member goes offline
    once the short grace of moving between pages has passed (the sweep does it)."""
    row = ConsoleConnection.objects.filter(channel_name=channel_name[:200]).first()
    if row is None:
        return
    row.delete()
    if not ConsoleConnection.objects.filter(user_id=row.user_id).exists():
        AgentProfile.objects.filter(user_id=row.user_id).update(
            console_left_at=now or timezone.now()
        )


def drop_absent_agents(now: datetime | None = None) -> int:
    """Forget consoles whose process stopped pinging (a crashed server), then set offline the
    staff members who have had no console open for longer than the grace. Returns how many
    went offline."""
    now = now or timezone.now()
    ConsoleConnection.objects.filter(
        last_seen_at__lt=now - timedelta(seconds=settings.ROUTING_CONSOLE_TIMEOUT_SECONDS)
    ).delete()
    connected = ConsoleConnection.objects.values("user_id")
    absent = (
        AgentProfile.objects.exclude(presence=Presence.OFFLINE)
        .exclude(user_id__in=connected)
        .filter(
            Q(console_left_at__isnull=True)
            | Q(
                console_left_at__lt=now
                - timedelta(seconds=settings.ROUTING_DISCONNECT_GRACE_SECONDS)
            )
        )
    )
    with transaction.atomic():
        users = list(absent.values_list("user_id", flat=True))
        AgentProfile.objects.filter(user_id__in=users).exclude(presence=Presence.OFFLINE).update(
            presence=Presence.OFFLINE, presence_changed_at=now
        )
        for user_id in users:
            _publish_presence(user_id, Presence.OFFLINE)
    return len(users)


def _publish_presence(user_id: int, presence: str) -> None:
    payload = {"type": "presence.changed", "user": user_id, "presence": str(presence)}
    publish_on_commit(
        LiveEvent((conversation_events.agent_group(user_id), PRESENCE_GROUP), payload)
    )


# --- giving work back ---------------------------------------------------------------------


def _return_to_queue(conversation_id: int, reason: str, actor: User | None) -> bool:
    """Unassign an open conversation so the queue serves it again (its wait is kept)."""
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        if conversation.assignee_id is None or conversation.status != Status.OPEN:
            return False
        previous = conversation.assignee_id
        conversation.assignee = None
        conversation.save(update_fields=["assignee"])
        ConversationRouting.objects.get_or_create(
            conversation=conversation, defaults={"queued_at": timezone.now()}
        )
        conversation_events.record_timeline(
            conversation,
            TimelineKind.ASSIGNED,
            actor=actor,
            data={
                "assignee": None,
                "assignee_name": "",
                "queue": conversation.queue,
                "automatic": actor is None,
                "returned": reason,
                "previous": previous,
            },
        )
        conversation_events.publish_conversation_changed(
            conversation, previous_assignee_id=previous
        )
    return True


def return_chats_of_offline_agents(now: datetime | None = None) -> int:
    """Open chats of agents offline for longer than the grace period go back to their queue
    (a customer in a chat should not wait on someone who left). Tickets stay assigned."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.ROUTING_OFFLINE_GRACE_SECONDS)
    chats = Conversation.objects.filter(
        status=Status.OPEN,
        channel__in=CHAT_CHANNELS,
        assignee__routing_profile__presence=Presence.OFFLINE,
        assignee__routing_profile__presence_changed_at__lt=since,
    ).values_list("pk", flat=True)
    return sum(_return_to_queue(pk, "offline", None) for pk in list(chats))


@dataclass(frozen=True)
class Rebalanced:
    returned: int
    assigned: int


def rebalance(
    actor: User, *, queue: str | None = None, ip_address: str | None = None
) -> Rebalanced:
    """A supervisor re-balances the queues: open conversations of offline agents and those
    above an agent's capacity that have no reply yet go back to their queue, then every queue
    is served again. Audited."""
    now = timezone.now()
    returned = 0
    open_conversations = Conversation.objects.filter(status=Status.OPEN, assignee__isnull=False)
    if queue:
        open_conversations = open_conversations.filter(queue=queue)
    offline = open_conversations.filter(first_response_at__isnull=True).exclude(
        assignee__routing_profile__presence=Presence.ONLINE
    )
    for pk in list(offline.values_list("pk", flat=True)):
        returned += _return_to_queue(pk, "rebalanced", actor)
    online = list(AgentProfile.objects.filter(presence=Presence.ONLINE))
    loads = _loads(profile.user_id for profile in online)
    for profile in online:
        chats, tickets = loads.get(profile.user_id, (0, 0))
        for chat, load, capacity in (
            (True, chats, profile.chat_capacity),
            (False, tickets, profile.ticket_capacity),
        ):
            excess = load - capacity
            if excess <= 0:
                continue
            newest = Conversation.objects.filter(
                assignee_id=profile.user_id, status=Status.OPEN, first_response_at__isnull=True
            )
            newest = (
                newest.filter(channel__in=CHAT_CHANNELS)
                if chat
                else newest.exclude(channel__in=CHAT_CHANNELS)
            )
            if queue:
                newest = newest.filter(queue=queue)
            for pk in list(newest.order_by("-created_at").values_list("pk", flat=True)[:excess]):
                returned += _return_to_queue(pk, "rebalanced", actor)
    assigned = assign_waiting(now=now, queues_only=[queue] if queue else None)
    record_audit(
        actor,
        "routing.rebalanced",
        target_type="queue",
        target_id=queue or "all",
        after={"returned": returned, "assigned": assigned},
        ip_address=ip_address,
    )
    return Rebalanced(returned, assigned)


# --- entry points for the rest of Kefu ------------------------------------------------------


def route_analysed(message_ids: Iterable[int]) -> int:
    """After the language model understood new customer messages: route the tickets among
    them (form, email, API, phone) that were not routed yet. Chats are routed when the bot
    hands them off (or at once when the bot is off). Returns how many were routed."""
    candidates = Conversation.objects.filter(
        messages__pk__in=list(message_ids),
        routing__isnull=True,
        assignee__isnull=True,
        status=Status.OPEN,
    )
    if settings.BOT_ENABLED:
        candidates = candidates.exclude(channel__in=CHAT_CHANNELS)
    routed = 0
    for conversation_id in set(candidates.values_list("pk", flat=True)):
        try:
            routed += route_conversation(conversation_id) is not None
        except Exception:
            logger.exception("routing conversation %s failed; the sweep retries", conversation_id)
    return routed


def route_unrouted(now: datetime | None = None) -> int:
    """The safety net of the sweep: open, unassigned tickets that were never routed (the
    language model is off or failed) are routed after a grace period, and chats whose bot is
    off."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.ROUTING_GRACE_SECONDS)
    stale = Conversation.objects.filter(
        routing__isnull=True, assignee__isnull=True, status=Status.OPEN, created_at__lt=since
    )
    if settings.BOT_ENABLED and settings.NLU_ENABLED:
        # Chats with the bot are routed when it hands them off; one whose routing failed then
        # is picked up here.
        stale = stale.filter(~Q(channel__in=CHAT_CHANNELS) | Q(bot_session__state="handed_off"))
    return sum(
        route_conversation(pk, now=now) is not None
        for pk in list(stale.values_list("pk", flat=True)[:200])
    )
