"""Rules and conversations for the tests, built through the services."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kefu.accounts.models import User
from kefu.conversations import services as conversations
from kefu.conversations.forms import CannedResponseForm
from kefu.conversations.models import CannedResponse, Channel, Conversation, Customer, Priority
from kefu.conversations.services.understanding import correct_message_intent
from kefu.routing.models import BusinessCalendar
from kefu.routing.policies import save_calendar
from kefu.rules.models import Rule
from kefu.rules.services import save_rule

TAG_HIT = [{"type": "add_tag", "value": "hit"}]


def rule(
    name: str = "Rule",
    *,
    conditions: Sequence[dict[str, Any]] = (),
    actions: Sequence[dict[str, Any]] = TAG_HIT,
    actor: User | None = None,
    **options: Any,
) -> Rule:
    return save_rule(
        actor, None, name=name, conditions=list(conditions), actions=list(actions), **options
    )


def chat(
    customer: Customer,
    body: str = "My USDT deposit has not arrived",
    *,
    channel: Channel = Channel.WIDGET,
    subject: str = "",
    language: str | None = None,
    queue: str = "deposit_withdrawal",
    priority: Priority = Priority.NORMAL,
) -> Conversation:
    return conversations.start_conversation(
        customer=customer,
        channel=channel,
        body=body,
        subject=subject,
        language=language,
        queue=queue,
        priority=priority,
    ).conversation


def set_intent(agent: User, conversation: Conversation, intent: str) -> None:
    message = conversation.messages.order_by("pk").first()
    assert message is not None
    correct_message_intent(agent, message, intent)


def canned(actor: User, title: str, body: str, language: str = "en") -> CannedResponse:
    form = CannedResponseForm({"title": title, "body": body, "language": language, "queue": ""})
    assert form.is_valid(), form.errors
    return conversations.save_canned_response(actor, form)


def office_hours(actor: User) -> BusinessCalendar:
    """Monday to Friday, 09:00 to 18:00 in Shanghai."""
    weekdays = {str(day): [["09:00", "18:00"]] for day in range(5)}
    return save_calendar(
        actor, None, name="Shanghai office", timezone="Asia/Shanghai", hours=weekdays
    )
