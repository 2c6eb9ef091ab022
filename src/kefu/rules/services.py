"""Every state change of rules, and their evaluation when a conversation is handed to people.

Supervisors create, edit, reorder, switch on and off and delete rules through these functions;
each one writes its audit row in the same transaction. :func:`apply_rules` is called by the
routing code once it has computed a queue and a priority.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Role, User
from kefu.conversations import services as conversations
from kefu.conversations.errors import ConversationClosed
from kefu.conversations.models import CannedResponse, Conversation
from kefu.conversations.services.messages import post_bot_message
from kefu.lib.errors import NotFound
from kefu.routing.models import NotificationKind
from kefu.routing.notifications import notify
from kefu.rules import events
from kefu.rules.errors import RuleInvalid
from kefu.rules.matching import ConversationFacts, rule_matches
from kefu.rules.models import ActionType, Match, Rule
from kefu.rules.spec import (
    NOTIFY_SUPERVISORS,
    NOTIFY_TEAM,
    Action,
    Condition,
    parse_actions,
    parse_conditions,
)

logger = logging.getLogger(__name__)

MAX_NAME_CHARS = 120


@dataclass(frozen=True)
class RuleOutcome:
    """What the rules decided for routing: the queue and priority the last rule that set one
    chose (None: no rule did), and the ids of the rules that fired, in order."""

    queue: str | None
    priority: int | None
    fired: list[int]


@dataclass
class _State:
    queue: str | None = None
    priority: int | None = None


def locked_rules() -> QuerySet[Rule]:
    """Every rule, locked until the transaction ends, in evaluation order (call inside
    atomic()). Reordering takes them all, so two reorders cannot interleave."""
    return Rule.objects.select_for_update().order_by("position", "pk")


# --- evaluation -------------------------------------------------------------------------------


def apply_rules(conversation_id: int, *, now: datetime | None = None) -> RuleOutcome:
    """Evaluate the active rules by position against the conversation as it is now.

    Later rules see the queue and priority earlier rules set; a firing rule with
    ``stop_processing`` ends the evaluation. Tags, canned replies and notifications are done
    here; the queue and priority are only returned, for the caller to apply. Each fired rule is
    on the timeline and counted. Raises Conversation.DoesNotExist.
    """
    now = now or timezone.now()
    with transaction.atomic():
        conversation = Conversation.objects.select_related("customer").get(pk=conversation_id)
        facts = ConversationFacts(conversation, now)
        state = _State()
        fired: list[int] = []
        for rule in Rule.objects.filter(is_active=True).order_by("position", "pk"):
            parsed = _parsed(rule)
            if parsed is None or not rule_matches(rule.match, parsed[0], facts):
                continue
            _fire(rule, parsed[1], conversation, facts, state, now)
            fired.append(rule.pk)
            if rule.stop_processing:
                break
    return RuleOutcome(queue=state.queue, priority=state.priority, fired=fired)


def _parsed(rule: Rule) -> tuple[tuple[Condition, ...], tuple[Action, ...]] | None:
    """A stored rule's conditions and actions; None (and a warning) when they no longer
    parse, so one broken row does not stop routing."""
    try:
        return (
            parse_conditions(rule.conditions, check_references=False),
            parse_actions(rule.actions, check_references=False),
        )
    except ValidationError as error:
        logger.warning("Rule %s skipped: %s", rule.pk, "; ".join(error.messages))
        return None


def _fire(
    rule: Rule,
    actions: tuple[Action, ...],
    conversation: Conversation,
    facts: ConversationFacts,
    state: _State,
    now: datetime,
) -> None:
    """Plan the rule's actions in order (queue and priority change as they go), put the rule
    on the timeline, then do the side effects, so the timeline reads cause before effect."""
    done: list[dict[str, Any]] = []
    effects: list[Callable[[], object]] = []
    for action in actions:
        row: dict[str, Any] = action.as_json()
        if action.type in (ActionType.SET_QUEUE, ActionType.ASSIGN_TEAM):
            state.queue = facts.queue = str(action.value)
        elif action.type == ActionType.SET_PRIORITY:
            state.priority = facts.priority = int(action.value)
        elif action.type == ActionType.ADD_TAG:
            facts.tags.add(str(action.value))
            effects.append(
                partial(conversations.add_tag, conversation.pk, str(action.value), rule=rule.name)
            )
        elif action.type == ActionType.SEND_CANNED_REPLY:
            canned = _canned_response(int(action.value), conversation.language)
            if canned is None:
                row["skipped"] = True
            else:
                row["detail"] = canned.title
                effects.append(partial(_send_canned_reply, conversation.pk, canned.body))
        elif action.type == ActionType.NOTIFY:
            recipients = list(_recipients(action.value, facts.queue))
            if isinstance(action.value, int):
                row["detail"] = recipients[0].public_name if recipients else ""
            effects.append(
                partial(
                    notify,
                    recipients,
                    NotificationKind.RULE,
                    conversation_id=conversation.pk,
                    data={"rule": rule.pk, "name": rule.name},
                )
            )
        done.append(row)
    events.record_rule_fired(conversation, rule, done)
    Rule.objects.filter(pk=rule.pk).update(fired_count=F("fired_count") + 1, last_fired_at=now)
    for effect in effects:
        effect()


def _canned_response(response_id: int, language: str) -> CannedResponse | None:
    """The canned response, or the one with the same title in the conversation's language."""
    canned = CannedResponse.objects.filter(pk=response_id).first()
    if canned is None or canned.language == language:
        return canned
    local = (
        CannedResponse.objects.filter(title=canned.title, language=language).order_by("pk").first()
    )
    return local or canned


def _send_canned_reply(conversation_id: int, body: str) -> None:
    try:
        post_bot_message(conversation_id, body=body)
    except ConversationClosed:
        logger.info("Canned reply not sent: conversation %s is closed", conversation_id)


def _recipients(target: str | int, queue: str) -> QuerySet[User]:
    """Supervisors and administrators, the members of the queue's team, or one staff user."""
    active = User.objects.filter(is_active=True).order_by("pk")
    if target == NOTIFY_SUPERVISORS:
        return active.filter(role__in=[Role.SUPERVISOR, Role.ADMIN])
    if target == NOTIFY_TEAM:
        return active.filter(teams__queue=queue).distinct()
    return active.filter(pk=int(target))


# --- managing rules ---------------------------------------------------------------------------


def check_rule(
    *, name: str, match: str, conditions: object, actions: object
) -> tuple[str, tuple[Condition, ...], tuple[Action, ...]]:
    """The cleaned name and the parsed conditions and actions. Raises RuleInvalid."""
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME_CHARS:
        raise RuleInvalid(_("Give the rule a name of at most 120 characters."), field="name")
    if match not in Match.values:
        raise RuleInvalid(_("Choose whether all or any conditions must hold."), field="match")
    try:
        parsed_conditions = parse_conditions(conditions)
    except ValidationError as error:
        raise RuleInvalid(error.messages[0], field="conditions") from None
    try:
        parsed_actions = parse_actions(actions)
    except ValidationError as error:
        raise RuleInvalid(error.messages[0], field="actions") from None
    return name, parsed_conditions, parsed_actions


def save_rule(
    actor: User | None,
    rule_id: int | None,
    *,
    name: str,
    conditions: object,
    actions: object,
    match: str = Match.ALL,
    is_active: bool = True,
    stop_processing: bool = False,
    ip_address: str | None = None,
) -> Rule:
    """Create a rule (at the end of the order) or update rule ``rule_id``.

    ``conditions`` and ``actions`` are rows as :mod:`kefu.rules.spec` reads them (or their
    JSON); they are stored in canonical form. Raises RuleInvalid for a bad name, match,
    condition or action, and NotFound for a rule that does not exist.
    """
    name, parsed_conditions, parsed_actions = check_rule(
        name=name, match=match, conditions=conditions, actions=actions
    )
    fields = {
        "name": name,
        "match": match,
        "conditions": [condition.as_json() for condition in parsed_conditions],
        "actions": [action.as_json() for action in parsed_actions],
        "is_active": is_active,
        "stop_processing": stop_processing,
        "updated_by": actor,
    }
    with transaction.atomic():
        if rule_id is None:
            last = Rule.objects.aggregate(last=Max("position"))["last"] or 0
            rule = Rule.objects.create(position=last + 1, created_by=actor, **fields)
            events.audit_rule(
                actor,
                "rule.created",
                rule.pk,
                after=events.rule_snapshot(rule),
                ip_address=ip_address,
            )
            return rule
        rule = _locked_rule(rule_id)
        before = events.rule_snapshot(rule)
        for field, value in fields.items():
            setattr(rule, field, value)
        rule.save()
        events.audit_rule(
            actor,
            "rule.updated",
            rule.pk,
            before=before,
            after=events.rule_snapshot(rule),
            ip_address=ip_address,
        )
    return rule


def set_rule_active(
    actor: User, rule_id: int, *, is_active: bool, ip_address: str | None = None
) -> Rule:
    """Switch a rule on or off. Raises NotFound."""
    with transaction.atomic():
        rule = _locked_rule(rule_id)
        if rule.is_active == is_active:
            return rule
        rule.is_active = is_active
        rule.updated_by = actor
        rule.save(update_fields=["is_active", "updated_by", "updated_at"])
        events.audit_rule(
            actor,
            "rule.activated" if is_active else "rule.deactivated",
            rule.pk,
            before={"is_active": not is_active},
            after={"is_active": is_active},
            ip_address=ip_address,
        )
    return rule


def move_rule(
    actor: User,
    rule_id: int,
    direction: Literal["up", "down"],
    *,
    ip_address: str | None = None,
) -> bool:
    """Swap a rule with the one before (up) or after (down) it. False at either end.
    Raises NotFound."""
    with transaction.atomic():
        ordered = [rule.pk for rule in locked_rules()]
        if rule_id not in ordered:
            raise NotFound()
        index = ordered.index(rule_id)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(ordered):
            return False
        ordered[index], ordered[other] = ordered[other], ordered[index]
        _renumber(ordered)
        events.audit_rule(
            actor,
            "rule.moved",
            rule_id,
            before={"position": index + 1},
            after={"position": other + 1},
            ip_address=ip_address,
        )
    return True


def delete_rule(actor: User, rule_id: int, *, ip_address: str | None = None) -> bool:
    """Delete a rule; False when there was none. Timeline rows keep its name."""
    with transaction.atomic():
        rule = locked_rules().filter(pk=rule_id).first()
        if rule is None:
            return False
        before = events.rule_snapshot(rule)
        rule.delete()
        events.audit_rule(actor, "rule.deleted", rule_id, before=before, ip_address=ip_address)
    return True


def _locked_rule(rule_id: int) -> Rule:
    rule = Rule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound()
    return rule


def _renumber(ordered: list[int]) -> None:
    rules = [Rule(pk=pk, position=number) for number, pk in enumerate(ordered, start=1)]
    Rule.objects.bulk_update(rules, ["position"])
