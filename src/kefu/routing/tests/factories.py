"""Routing test data, built through the services."""

from __future__ import annotations

from kefu.accounts.models import User
from kefu.conversations import services as conversations
from kefu.conversations.models import Channel, Conversation, Customer, Language, SecurityLevel
from kefu.conversations.services.understanding import analyse_waiting
from kefu.routing import services as routing
from kefu.routing.models import AgentProfile, Presence, SlaPolicy


def ready(
    user: User,
    *,
    chats: int = 2,
    tickets: int = 5,
    languages: tuple[str, ...] = ("en",),
    seniority: int = 2,
    skills: dict[str, int] | None = None,
    presence: str = Presence.ONLINE,
) -> AgentProfile:
    """Give ``user`` a routing profile and set their presence (online by default)."""
    from kefu.routing.policies import update_agent_profile

    update_agent_profile(
        user,
        user,
        teams=list(user.teams.values_list("queue", flat=True)),
        languages=list(languages),
        seniority=seniority,
        chat_capacity=chats,
        ticket_capacity=tickets,
        skill_levels=skills or {},
    )
    return routing.set_presence(user, presence)


def customer_named(name: str, **profile: object) -> Customer:
    customer = conversations.identify_customer(external_id=f"u-{name}", name=name)
    if profile:
        customer = conversations.update_customer_profile(customer, **profile)  # type: ignore[arg-type]
    return customer


def ticket(
    customer: Customer,
    *,
    body: str = "My withdrawal is still pending",
    intent: str = "",
    channel: Channel = Channel.FORM,
    language: str = Language.EN,
    **analysis: object,
) -> Conversation:
    """A new conversation, understood by the analysis worker as ``intent`` (with ``analysis``
    merged into what it stores)."""
    conversation = conversations.start_conversation(
        customer=customer, channel=channel, body=body, language=language
    ).conversation
    if intent:
        understood(intent, **analysis)
        conversation.refresh_from_db()
    return conversation


def understood(intent: str, **analysis: object) -> list[int]:
    """Run the analysis step on every waiting customer message as if the model said
    ``intent`` (the worker's own storing code, with the model's answer given)."""
    result = {
        "language": "en",
        "intent": intent,
        "confidence": 0.9,
        "top": [{"intent": intent, "confidence": 0.9}],
        "out_of_scope": False,
        "sentiment": "neutral",
        "sentiment_score": 0.5,
        "urgency": "normal",
        "signals": [],
        "amount": None,
        "model": "test",
        **analysis,
    }
    return analyse_waiting(lambda pending: [dict(result) for _ in pending], limit=100)


def policy(**values: object) -> SlaPolicy:
    defaults: dict[str, object] = {
        "name": "Default",
        "first_response_seconds": 600,
        "next_response_seconds": 900,
        "resolution_seconds": 86400,
        "escalation_step_seconds": 600,
    }
    defaults.update(values)
    return SlaPolicy.objects.create(**defaults)


__all__ = ["SecurityLevel", "customer_named", "policy", "ready", "ticket"]
