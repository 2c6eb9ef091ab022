"""Customer-side intake shared by the widget and the ticket pages: whose conversation a
connection may see, and posting what the customer writes."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from kefu.conversations import services as conversations
from kefu.conversations.access import access_conversation_by_token
from kefu.conversations.events import MessagePayload
from kefu.conversations.models import Channel, Conversation, Customer
from kefu.intake.channels.widget.identity import VisitorIdentity, read_visitor_token
from kefu.lib.errors import NotFound


@dataclass
class CustomerSession:
    """A customer's connection: a widget visitor, or the holder of a ticket's tracking link."""

    visitor: VisitorIdentity | None
    conversation_id: int | None
    language: str

    @property
    def is_widget(self) -> bool:
        return self.visitor is not None


@dataclass(frozen=True)
class ConversationSummary:
    id: int
    number: int
    status: str


def open_customer_session(*, visitor_token: str = "", tracking_token: str = "") -> CustomerSession:
    """Resolve a connection's credentials; raise NotFound for anything not valid."""
    if tracking_token:
        conversation = access_conversation_by_token(tracking_token)
        return CustomerSession(
            visitor=None, conversation_id=conversation.pk, language=conversation.language
        )
    identity = read_visitor_token(visitor_token)
    current: Conversation | None = None
    customer = _known_customer(identity)
    if customer is not None:
        current = conversations.current_widget_conversation(customer)
    return CustomerSession(
        visitor=identity,
        conversation_id=current.pk if current else None,
        language=identity.language,
    )


def _known_customer(identity: VisitorIdentity) -> Customer | None:
    if identity.external_id:
        return Customer.objects.filter(external_id=identity.external_id).first()
    return Customer.objects.filter(visitor_id=identity.visitor_id).first()


def session_history(
    session: CustomerSession,
) -> tuple[ConversationSummary | None, list[MessagePayload]]:
    """The conversation the session sees and its messages (no internal notes)."""
    if session.conversation_id is None:
        return None, []
    conversation = Conversation.objects.filter(pk=session.conversation_id).first()
    if conversation is None:
        raise NotFound()
    summary = ConversationSummary(conversation.pk, conversation.number, conversation.status)
    return summary, conversations.customer_messages(conversation)


def start_chat(
    session: CustomerSession, *, body: str, client_id: str = ""
) -> conversations.PostedMessage:
    """Start a new chat with the widget visitor's message; ``session`` follows the new one.

    Used for a visitor's first message, and when their previous chat was closed.
    """
    if session.visitor is None:
        raise NotFound()
    visitor = session.visitor
    with transaction.atomic():
        customer = conversations.identify_customer(
            external_id=visitor.external_id,
            visitor_id=None if visitor.external_id else visitor.visitor_id,
            name=visitor.name,
            email=visitor.email,
            language=visitor.language,
        )
        posted = conversations.start_conversation(
            customer=customer, channel=Channel.WIDGET, body=body, client_id=client_id
        )
    session.conversation_id = posted.conversation.pk
    return posted
