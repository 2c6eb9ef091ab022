from __future__ import annotations

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from kefu.accounts.models import AuditLogEntry, User
from kefu.conversations import services
from kefu.conversations.errors import (
    ConversationClosed,
    InvalidChange,
    MessageEmpty,
    MessageTooLong,
)
from kefu.conversations.models import (
    AuthorType,
    Channel,
    Conversation,
    Customer,
    Message,
    Priority,
    Status,
    TimelineKind,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_conversation_starts_with_the_customers_message(customer: Customer) -> None:
    posted = services.start_conversation(
        customer=customer,
        channel=Channel.WIDGET,
        body="  我的充值没到账  ",
        queue="deposit_withdrawal",
    )
    conversation = Conversation.objects.get(pk=posted.conversation.pk)
    assert conversation.status == Status.OPEN
    assert conversation.language == "zh"
    assert conversation.subject == "我的充值没到账"
    assert conversation.message_count == 1
    assert conversation.last_customer_message_at == posted.message.created_at
    assert conversation.last_message_at == posted.message.created_at
    assert len(conversation.tracking_token) >= 32
    assert list(conversation.messages.values_list("author_type", "body")) == [
        (AuthorType.CUSTOMER, "我的充值没到账")
    ]
    assert list(conversation.timeline.values_list("kind", flat=True)) == []


def test_an_unknown_queue_falls_back_to_general(customer: Customer) -> None:
    posted = services.start_conversation(
        customer=customer, channel=Channel.API, body="hi", queue="no-such-queue"
    )
    assert posted.conversation.queue == "general"


def test_a_repeated_client_id_is_stored_once(conversation: Conversation) -> None:
    first = services.post_customer_message(conversation.pk, body="hello?", client_id="c-2")
    again = services.post_customer_message(conversation.pk, body="hello?", client_id="c-2")
    assert first.created is True
    assert again.created is False
    assert again.message.pk == first.message.pk
    assert conversation.messages.filter(client_id="c-2").count() == 1
    assert Conversation.objects.get(pk=conversation.pk).message_count == 2


def test_a_customer_reply_reopens_a_resolved_conversation(
    conversation: Conversation, agent: User
) -> None:
    services.change_status(agent, conversation.pk, Status.RESOLVED)
    assert Conversation.objects.get(pk=conversation.pk).resolved_at is not None
    services.post_customer_message(conversation.pk, body="still not there")
    reopened = Conversation.objects.get(pk=conversation.pk)
    assert reopened.status == Status.OPEN
    assert reopened.resolved_at is None
    assert TimelineKind.REOPENED in reopened.timeline.values_list("kind", flat=True)


def test_a_closed_conversation_takes_no_more_messages(
    conversation: Conversation, agent: User
) -> None:
    services.change_status(agent, conversation.pk, Status.CLOSED)
    with pytest.raises(ConversationClosed):
        services.post_customer_message(conversation.pk, body="hello again")
    with pytest.raises(ConversationClosed):
        services.post_agent_message(agent, conversation.pk, body="anyone?")
    note = services.post_agent_message(
        agent, conversation.pk, body="closing note", is_internal=True
    )
    assert note.created
    assert conversation.messages.count() == 2


@pytest.mark.parametrize("body", ["", "   ", "\x00\x01"])
def test_an_empty_message_is_refused(conversation: Conversation, body: str) -> None:
    with pytest.raises(MessageEmpty):
        services.post_customer_message(conversation.pk, body=body)
    assert conversation.messages.count() == 1


def test_a_huge_message_is_refused(conversation: Conversation) -> None:
    with pytest.raises(MessageTooLong):
        services.post_customer_message(conversation.pk, body="x" * 100_001)
    assert conversation.messages.count() == 1


def test_a_pasted_seed_phrase_is_never_stored_and_the_customer_is_warned(
    conversation: Conversation,
) -> None:
    phrase = "abandon ability able about above absent absorb abstract absurd abuse access accident"
    posted = services.post_customer_message(conversation.pk, body=f"my words: {phrase}")
    assert phrase not in posted.message.body
    assert posted.redactions == ["seed_phrase"]
    assert not Message.objects.filter(body__contains="absorb").exists()
    warning = conversation.messages.get(author_type=AuthorType.SYSTEM)
    assert "never" in warning.body
    assert TimelineKind.SECRET_REDACTED in conversation.timeline.values_list("kind", flat=True)


def test_the_first_public_reply_sets_first_response_and_assigns(
    conversation: Conversation, agent: User
) -> None:
    note = services.post_agent_message(agent, conversation.pk, body="checking", is_internal=True)
    after_note = Conversation.objects.get(pk=conversation.pk)
    assert after_note.first_response_at is None
    assert after_note.assignee is None
    reply = services.post_agent_message(
        agent, conversation.pk, body="Found it", ip_address="10.1.2.3"
    )
    after_reply = Conversation.objects.get(pk=conversation.pk)
    assert after_reply.first_response_at == reply.message.created_at
    assert after_reply.assignee == agent
    second = services.post_agent_message(agent, conversation.pk, body="Anything else?")
    assert (
        Conversation.objects.get(pk=conversation.pk).first_response_at
        == after_reply.first_response_at
    )
    assert second.created
    actions = list(
        AuditLogEntry.objects.filter(target_id=str(conversation.pk))
        .order_by("pk")
        .values_list("action", "ip_address")
    )
    assert actions == [
        ("conversation.note_added", None),
        ("conversation.replied", "10.1.2.3"),
        ("conversation.replied", None),
    ]
    assert note.message.is_internal


def test_a_reply_can_set_the_status(conversation: Conversation, agent: User) -> None:
    services.post_agent_message(agent, conversation.pk, body="Done", set_status=Status.RESOLVED)
    resolved = Conversation.objects.get(pk=conversation.pk)
    assert resolved.status == Status.RESOLVED
    assert resolved.resolved_at is not None


def test_a_ticket_reply_is_emailed_to_the_customer(customer: Customer, agent: User) -> None:
    ticket = services.start_conversation(
        customer=customer,
        channel=Channel.FORM,
        body="help",
        subject="Withdrawal stuck",
        queue="deposit_withdrawal",
    )
    services.post_agent_message(agent, ticket.conversation.pk, body="Your <withdrawal> is sent")
    services.post_agent_message(agent, ticket.conversation.pk, body="secret note", is_internal=True)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["alice@example.com"]
    assert f"#{ticket.conversation.pk}" in email.subject
    assert "Your <withdrawal> is sent" in email.body
    assert ticket.conversation.tracking_token in email.body
    assert isinstance(email, EmailMultiAlternatives)
    html = email.alternatives[0][0]
    assert "Your &lt;withdrawal&gt; is sent" in str(html)
    assert "secret note" not in email.body


def test_status_priority_and_assignment_are_audited(
    conversation: Conversation, agent: User, supervisor: User, teammate: User
) -> None:
    services.change_priority(supervisor, conversation.pk, Priority.URGENT)
    services.assign_conversation(supervisor, conversation.pk, assignee_id=teammate.pk)
    services.change_status(teammate, conversation.pk, Status.PENDING)
    changed = Conversation.objects.get(pk=conversation.pk)
    assert (changed.priority, changed.assignee, changed.status) == (
        Priority.URGENT,
        teammate,
        Status.PENDING,
    )
    entries = list(
        AuditLogEntry.objects.filter(target_type="conversation")
        .order_by("pk")
        .values_list("actor__username", "action", "before", "after")
    )
    assert entries == [
        ("supervisor", "conversation.priority_changed", {"priority": 2}, {"priority": 4}),
        (
            "supervisor",
            "conversation.assigned",
            {"assignee": None, "queue": "deposit_withdrawal"},
            {"assignee": teammate.pk, "queue": "deposit_withdrawal"},
        ),
        ("teammate", "conversation.status_changed", {"status": "open"}, {"status": "pending"}),
    ]
    kinds = list(changed.timeline.values_list("kind", flat=True))
    assert kinds == [
        TimelineKind.PRIORITY_CHANGED,
        TimelineKind.ASSIGNED,
        TimelineKind.STATUS_CHANGED,
    ]


def test_transfer_to_another_team_unassigns(conversation: Conversation, agent: User) -> None:
    services.assign_conversation(agent, conversation.pk, assignee_id=agent.pk)
    services.assign_conversation(agent, conversation.pk, queue="account_security")
    moved = Conversation.objects.get(pk=conversation.pk)
    assert (moved.queue, moved.assignee) == ("account_security", None)


def test_invalid_changes_are_refused_and_change_nothing(
    conversation: Conversation, agent: User
) -> None:
    with pytest.raises(InvalidChange):
        services.change_status(agent, conversation.pk, "deleted")
    with pytest.raises(InvalidChange):
        services.change_priority(agent, conversation.pk, 99)
    with pytest.raises(InvalidChange):
        services.assign_conversation(agent, conversation.pk, queue="nowhere")
    with pytest.raises(InvalidChange):
        services.assign_conversation(agent, conversation.pk, assignee_id=987654)
    unchanged = Conversation.objects.get(pk=conversation.pk)
    assert (unchanged.status, unchanged.priority, unchanged.queue, unchanged.assignee) == (
        Status.OPEN,
        Priority.NORMAL,
        "deposit_withdrawal",
        None,
    )
    assert not AuditLogEntry.objects.filter(target_type="conversation").exists()


def test_customers_are_matched_by_exchange_id_then_visitor_then_email(db: None) -> None:
    by_id = services.identify_customer(external_id="42", name="A")
    assert services.identify_customer(external_id="42", name="other") == by_id
    visitor = services.identify_customer(visitor_id="v-1")
    assert services.identify_customer(visitor_id="v-1") == visitor
    by_email = services.identify_customer(email="bob@example.com")
    assert services.identify_customer(email="BOB@example.com") == by_email
    assert Customer.objects.count() == 3
