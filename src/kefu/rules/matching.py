"""Whether a rule's conditions hold for a conversation.

:class:`ConversationFacts` is what the conditions read: the conversation's current values, the
queue and priority as earlier rules left them, its tags, and (loaded only when a keyword
condition asks) the text of its subject and customer messages. Keywords are compared as plain
text after Unicode normalisation and case folding, never as patterns: customer text is hostile
and so may be a supervisor's keyword.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from kefu.conversations.models import AuthorType, Conversation
from kefu.routing.calendar import Schedule, is_open, schedule_of
from kefu.routing.models import BusinessCalendar
from kefu.rules.models import ConditionField, Match, Operator
from kefu.rules.spec import OPEN, Condition

# Routing happens early in a conversation; an old, long one is judged by its recent messages.
KEYWORD_MESSAGES = 100


def normalise_text(text: str) -> str:
    """Full-width letters to half-width, case folded, runs of spaces to one."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class ConversationFacts:
    """The values conditions are checked against, for one evaluation of the rules."""

    def __init__(self, conversation: Conversation, now: datetime) -> None:
        self.conversation = conversation
        self.now = now
        self.queue = conversation.queue
        self.priority = int(conversation.priority)
        self.tags: set[str] = set(conversation.tags.values_list("name", flat=True))
        self._schedules: dict[int, Schedule | None] = {}

    @cached_property
    def text(self) -> str:
        """The subject and the customer's recent public messages, normalised."""
        bodies = (
            self.conversation.messages.filter(author_type=AuthorType.CUSTOMER, is_internal=False)
            .order_by("-pk")
            .values_list("body", flat=True)[:KEYWORD_MESSAGES]
        )
        return normalise_text("\n".join([self.conversation.subject, *bodies]))

    def value_of(self, field: ConditionField) -> str | int:
        customer = self.conversation.customer
        values: dict[ConditionField, str | int] = {
            ConditionField.CHANNEL: self.conversation.channel,
            ConditionField.INTENT: self.conversation.intent,
            ConditionField.QUEUE: self.queue,
            ConditionField.LANGUAGE: self.conversation.language,
            ConditionField.PRIORITY: self.priority,
            ConditionField.VIP_TIER: int(customer.vip_tier),
            ConditionField.SECURITY_LEVEL: customer.security_level,
        }
        return values[field]

    def is_open(self, calendar_id: int) -> bool | None:
        """Whether the business calendar is open now; None when it no longer exists."""
        if calendar_id not in self._schedules:
            calendar = BusinessCalendar.objects.filter(pk=calendar_id).first()
            self._schedules[calendar_id] = schedule_of(calendar) if calendar else None
        schedule = self._schedules[calendar_id]
        if schedule is None:
            return None
        return is_open(schedule, self.now)


def rule_matches(match: str, conditions: tuple[Condition, ...], facts: ConversationFacts) -> bool:
    """All (or any) of the conditions hold; a rule without conditions always does."""
    if not conditions:
        return True
    results = (condition_holds(condition, facts) for condition in conditions)
    return any(results) if match == Match.ANY else all(results)


def condition_holds(condition: Condition, facts: ConversationFacts) -> bool:
    field = condition.field
    values = condition.values
    if field == ConditionField.KEYWORD:
        text = facts.text
        return any(normalise_text(str(keyword)) in text for keyword in values)
    if field == ConditionField.TAG:
        return _compare_set(condition.operator, facts.tags, values)
    if field == ConditionField.BUSINESS_HOURS:
        calendar_open = facts.is_open(condition.calendar or 0)
        return calendar_open is not None and calendar_open == (values[0] == OPEN)
    if field in (ConditionField.WEEKDAY, ConditionField.HOUR):
        local = facts.now.astimezone(ZoneInfo(condition.timezone))
        if field == ConditionField.WEEKDAY:
            return compare(condition.operator, local.weekday(), values)
        start, end = int(values[0]), int(values[1])
        if start < end:
            return start <= local.hour < end
        return local.hour >= start or local.hour < end
    return compare(condition.operator, facts.value_of(field), values)


def compare(operator: Operator, actual: str | int, values: tuple[str | int, ...]) -> bool:
    if operator == Operator.IS:
        return actual == values[0]
    if operator == Operator.IS_NOT:
        return actual != values[0]
    if operator == Operator.IN:
        return actual in values
    if operator == Operator.NOT_IN:
        return actual not in values
    if operator == Operator.GTE:
        return int(actual) >= int(values[0])
    if operator == Operator.LTE:
        return int(actual) <= int(values[0])
    return False


def _compare_set(operator: Operator, tags: set[str], values: tuple[str | int, ...]) -> bool:
    """``is``: has the tag; ``is_not``: lacks it; ``in``: has any; ``not_in``: has none."""
    wanted = {str(value) for value in values}
    if operator in (Operator.IS, Operator.IN):
        return bool(tags & wanted)
    return not tags & wanted
