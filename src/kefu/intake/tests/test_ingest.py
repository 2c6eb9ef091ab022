"""The one ingestion path of every channel: idempotent, threaded, customers matched, files
kept or named, replies queued for their channel."""

from __future__ import annotations

import base64

import pytest

from kefu.accounts.models import User
from kefu.conversations import services as conversations
from kefu.conversations.models import AuthorType, Channel, Conversation, Customer, Status
from kefu.intake.adapters import InboundAttachment, InboundMessage, Sender
from kefu.intake.ingest import already_seen, ingest, skip
from kefu.intake.models import (
    ChannelAccount,
    ChannelIdentity,
    ChannelKind,
    ChannelThread,
    DeliveryStatus,
    InboundRecord,
    OutboundDelivery,
)

pytestmark = pytest.mark.django_db

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def account() -> ChannelAccount:
    return ChannelAccount.objects.create(kind=ChannelKind.TELEGRAM, name="Support bot")


def inbound(
    external_id: str, body: str = "我的USDT充值还没到账", **fields: object
) -> InboundMessage:
    values: dict[str, object] = {
        "sender": Sender(external_id="4242", name="Wang Wei", username="wangwei", language="zh"),
        "thread_keys": ("chat:4242",),
        "own_keys": ("chat:4242",),
        "reply_address": {"chat_id": 4242},
        "new_conversation": True,
    }
    values.update(fields)
    return InboundMessage(external_id=external_id, body=body, **values)  # type: ignore[arg-type]


def test_a_first_message_opens_a_conversation_on_its_channel(account: ChannelAccount) -> None:
    result = ingest(account, inbound("4242:1"))
    assert result.created and result.conversation is not None and result.message is not None
    conversation = result.conversation
    assert conversation.channel == Channel.TELEGRAM
    assert conversation.language == "zh"
    assert conversation.customer.name == "Wang Wei"
    assert result.message.body == "我的USDT充值还没到账"
    assert ChannelThread.objects.get(conversation=conversation).address == {"chat_id": 4242}
    identity = ChannelIdentity.objects.get(kind="telegram", external_user_id="4242")
    assert identity.customer == conversation.customer and identity.username == "wangwei"
    account.refresh_from_db()
    assert account.last_inbound_at is not None
    assert already_seen(account, "4242:1")


def test_a_redelivered_message_is_stored_once(account: ChannelAccount) -> None:
    first = ingest(account, inbound("4242:1"))
    again = ingest(account, inbound("4242:1", body="a different text the second time"))
    assert not again.created
    assert again.message == first.message and again.conversation == first.conversation
    assert first.conversation is not None
    conversation = Conversation.objects.get(pk=first.conversation.pk)
    assert conversation.message_count == 1
    assert InboundRecord.objects.filter(account=account).count() == 1


def test_the_same_id_on_another_account_is_another_message(account: ChannelAccount) -> None:
    other = ChannelAccount.objects.create(kind=ChannelKind.TELEGRAM, name="VIP bot")
    ingest(account, inbound("4242:1"))
    assert ingest(other, inbound("4242:1")).created


def test_the_next_message_continues_the_open_conversation(account: ChannelAccount) -> None:
    first = ingest(account, inbound("4242:1"))
    second = ingest(account, inbound("4242:2", body="TXID 0xabc"))
    assert second.conversation == first.conversation
    assert first.conversation is not None
    assert Conversation.objects.get(pk=first.conversation.pk).message_count == 2


def test_a_chat_starts_afresh_after_resolution_and_a_closed_one_never_reopens(
    account: ChannelAccount, agent: User
) -> None:
    first = ingest(account, inbound("4242:1"))
    assert first.conversation is not None
    conversations.change_status(agent, first.conversation.pk, Status.RESOLVED)
    second = ingest(account, inbound("4242:2"))
    assert second.conversation is not None and second.conversation != first.conversation
    assert second.conversation.customer == first.conversation.customer
    conversations.change_status(agent, second.conversation.pk, Status.CLOSED)
    third = ingest(account, inbound("4242:3", new_conversation=False))
    assert third.conversation not in (first.conversation, second.conversation)


def test_a_resolved_ticket_reopens_when_the_thread_continues(
    account: ChannelAccount, agent: User
) -> None:
    first = ingest(account, inbound("m1", new_conversation=False))
    assert first.conversation is not None
    conversations.change_status(agent, first.conversation.pk, Status.RESOLVED)
    second = ingest(account, inbound("m2", new_conversation=False))
    assert second.conversation == first.conversation
    assert Conversation.objects.get(pk=first.conversation.pk).status == Status.OPEN


def test_a_vouched_exchange_user_is_matched_to_their_customer(account: ChannelAccount) -> None:
    known = Customer.objects.create(external_id="10004412", name="Li Na")
    sender = Sender(external_id="app-user-9", exchange_user_id="10004412")
    result = ingest(account, inbound("x1", sender=sender, thread_keys=(), own_keys=()))
    assert result.conversation is not None and result.conversation.customer == known


def test_a_caller_is_matched_by_phone_number(account: ChannelAccount) -> None:
    known = Customer.objects.create(name="Zhang", phone="+8613800138000")
    sender = Sender(external_id="+8613800138000", phone="+8613800138000")
    result = ingest(account, inbound("x1", sender=sender, thread_keys=(), own_keys=()))
    assert result.conversation is not None and result.conversation.customer == known


def test_a_huge_message_is_cut_and_kept_whole_as_a_file(account: ChannelAccount) -> None:
    text = "充值没到账 " * 5000
    result = ingest(account, inbound("big", body=text))
    assert result.message is not None
    assert len(result.message.body) <= conversations.MAX_MESSAGE_CHARS
    attachment = result.message.attachments.get()
    assert attachment.content_type == "text/plain"
    assert attachment.file.read().decode("utf-8") == text


def test_allowed_files_are_kept_and_others_named_for_the_agent(account: ChannelAccount) -> None:
    files = (
        InboundAttachment("screenshot.png", PNG, "image/png"),
        InboundAttachment("wallet.exe", b"MZ\x90\x00" + bytes(200), "application/octet-stream"),
    )
    result = ingest(account, inbound("files", attachments=files))
    assert result.message is not None and result.conversation is not None
    assert [a.content_type for a in result.message.attachments.all()] == ["image/png"]
    note = result.conversation.messages.get(author_type=AuthorType.SYSTEM, is_internal=True)
    assert "wallet" in note.body
    assert Conversation.objects.get(pk=result.conversation.pk).message_count == 2


def test_a_skipped_message_is_remembered_and_stores_nothing(account: ChannelAccount) -> None:
    skipped = skip(account, "auto-1", "auto_reply")
    assert skipped.skipped == "auto_reply" and not skipped.created
    again = ingest(account, inbound("auto-1"))
    assert not again.created and again.skipped == "auto_reply" and again.message is None
    assert not Conversation.objects.exists()


def test_public_replies_are_queued_for_the_channel_and_notes_are_not(
    account: ChannelAccount, agent: User
) -> None:
    result = ingest(account, inbound("4242:1"))
    assert result.conversation is not None
    reply = conversations.post_agent_message(agent, result.conversation.pk, body="我们查一下")
    conversations.post_agent_message(agent, result.conversation.pk, body="VIP", is_internal=True)
    delivery = OutboundDelivery.objects.get()
    assert delivery.message == reply.message and delivery.account == account
    assert delivery.status == DeliveryStatus.QUEUED


def test_a_removed_secret_is_told_to_the_customer_on_their_channel(
    account: ChannelAccount,
) -> None:
    words = "abandon ability able about above absent absorb abstract absurd abuse access accident"
    result = ingest(account, inbound("4242:1", body=f"my seed is {words} help"))
    assert result.message is not None and "abandon ability" not in result.message.body
    delivery = OutboundDelivery.objects.get()
    assert delivery.message.author_type == AuthorType.SYSTEM


def test_replies_in_widget_conversations_are_not_queued(
    conversation: Conversation, agent: User
) -> None:
    conversations.post_agent_message(agent, conversation.pk, body="hello")
    assert not OutboundDelivery.objects.exists()
