"""The only way user-facing code loads conversations: every lookup checks who may see what.

"Missing" and "not yours" raise the same NotFound, so nothing leaks.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kefu.accounts.models import Team, User
from kefu.conversations.models import Attachment, Conversation, Message
from kefu.lib.errors import NotFound


def visible_queues(user: User) -> list[str] | None:
    """Queues the user works; None means every queue (supervisors and admins)."""
    if user.sees_all_queues:
        return None
    return list(user.teams.values_list("queue", flat=True))


def visible_conversations(user: User) -> QuerySet[Conversation]:
    """Conversations a staff member may open: their teams' queues and anything assigned to them."""
    conversations = Conversation.objects.all()
    if user.sees_all_queues:
        return conversations
    # A subquery, not a list: one round trip to the database instead of two.
    worked = Team.objects.filter(members=user).values("queue")
    return conversations.filter(Q(queue__in=worked) | Q(assignee=user))


def access_conversation(user: User, conversation_id: int) -> Conversation:
    """Load a conversation a staff member may see, or raise NotFound."""
    if not user.is_active:
        raise NotFound()
    conversation = (
        visible_conversations(user)
        .select_related("customer", "assignee")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise NotFound()
    return conversation


def access_message(user: User, message_id: int) -> Message:
    """Load a message of a conversation the staff member may see, or raise NotFound."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise NotFound()
    message.conversation = access_conversation(user, message.conversation_id)
    return message


def access_conversation_by_token(token: str) -> Conversation:
    """Load the conversation behind a customer's private tracking token, or raise NotFound."""
    if not token or len(token) > 64:
        raise NotFound()
    conversation = (
        Conversation.objects.select_related("customer").filter(tracking_token=token).first()
    )
    if conversation is None:
        raise NotFound()
    return conversation


def access_attachment(user: User, attachment_id: int) -> Attachment:
    """Load an attachment of a conversation the staff member may see, or raise NotFound."""
    attachment = (
        Attachment.objects.select_related("conversation", "message")
        .filter(pk=attachment_id)
        .first()
    )
    if attachment is None:
        raise NotFound()
    access_conversation(user, attachment.conversation_id)
    return attachment


def access_attachment_by_token(token: str, attachment_id: int) -> Attachment:
    """Load an attachment the customer may download: theirs, and not on an internal note."""
    conversation = access_conversation_by_token(token)
    attachment = (
        Attachment.objects.select_related("message")
        .filter(pk=attachment_id, conversation=conversation)
        .first()
    )
    if attachment is None:
        raise NotFound()
    if attachment.message is not None and attachment.message.is_internal:
        raise NotFound()
    return attachment
