"""Two conversations about one problem become one, whatever their channels: messages, files,
tags and the channel's keys move, and replies follow the customer's channel."""

from __future__ import annotations

import pytest

from conftest import console_client
from kefu.accounts.models import AuditLogEntry, User
from kefu.conversations import services as conversations
from kefu.conversations.errors import InvalidChange
from kefu.conversations.models import Channel, Conversation, Status, TimelineEvent, TimelineKind
from kefu.intake.adapters import InboundMessage, Sender
from kefu.intake.ingest import ingest
from kefu.intake.models import ChannelAccount, ChannelKind, OutboundDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def telegram() -> ChannelAccount:
    return ChannelAccount.objects.create(kind=ChannelKind.TELEGRAM, name="NovaEx bot")


def on_telegram(account: ChannelAccount, number: int, text: str) -> Conversation:
    result = ingest(
        account,
        InboundMessage(
            external_id=f"77:{number}",
            sender=Sender(external_id="77", name="Alice on Telegram"),
            body=text,
            thread_keys=("chat:77",),
            own_keys=("chat:77",),
            reply_address={"chat_id": 77},
            new_conversation=True,
        ),
    )
    assert result.conversation is not None
    return result.conversation


def test_a_telegram_chat_merged_into_the_widget_chat_brings_everything(
    supervisor: User, conversation: Conversation, telegram: ChannelAccount
) -> None:
    source = on_telegram(telegram, 1, "same deposit, TXID 0xabc")
    conversations.add_tag(source.pk, "txid-given", actor=supervisor)
    conversations.merge_conversations(supervisor, source.pk, conversation.pk)

    target = Conversation.objects.get(pk=conversation.pk)
    assert list(target.messages.values_list("body", flat=True)) == [
        "My USDT deposit has not arrived",
        "same deposit, TXID 0xabc",
    ]
    assert target.message_count == 2
    assert list(target.tags.values_list("name", flat=True)) == ["txid-given"]
    # Replies now also reach the customer where they wrote last: on Telegram.
    assert target.channel == Channel.TELEGRAM
    source.refresh_from_db()
    assert (source.status, source.message_count) == (Status.CLOSED, 0)
    into = TimelineEvent.objects.get(conversation=source, kind=TimelineKind.MERGED)
    assert into.data == {"into": target.pk, "messages": 1}
    assert AuditLogEntry.objects.filter(action="conversation.merged").count() == 1

    # The customer's next Telegram message continues the merged conversation, and the
    # agent's answer goes out on Telegram.
    assert on_telegram(telegram, 2, "any news?") == target
    reply = conversations.post_agent_message(supervisor, target.pk, body="Found it.")
    assert OutboundDelivery.objects.get().message == reply.message


def test_merging_into_itself_or_a_closed_conversation_is_refused(
    supervisor: User, conversation: Conversation, telegram: ChannelAccount
) -> None:
    source = on_telegram(telegram, 1, "hello")
    with pytest.raises(InvalidChange):
        conversations.merge_conversations(supervisor, source.pk, source.pk)
    conversations.change_status(supervisor, conversation.pk, Status.CLOSED)
    with pytest.raises(InvalidChange):
        conversations.merge_conversations(supervisor, source.pk, conversation.pk)
    source.refresh_from_db()
    assert source.status == Status.OPEN and source.message_count == 1


def test_the_console_merges_only_into_a_conversation_the_agent_may_see(
    supervisor: User, outsider: User, conversation: Conversation, telegram: ChannelAccount
) -> None:
    source = on_telegram(telegram, 1, "same problem")
    denied = console_client(outsider).post(
        f"/console/c/{source.pk}/merge/", {"target": str(conversation.pk)}
    )
    assert denied.status_code == 404
    assert Conversation.objects.get(pk=source.pk).status == Status.OPEN
    client = console_client(supervisor)
    page = client.get(f"/console/c/{source.pk}/").content.decode()
    assert 'id="merge-card"' in page
    response = client.post(f"/console/c/{source.pk}/merge/", {"target": f"#{conversation.pk}"})
    assert response.status_code == 302
    assert response["Location"] == f"/console/c/{conversation.pk}/"
    assert Conversation.objects.get(pk=source.pk).status == Status.CLOSED
    merged = client.get(f"/console/c/{conversation.pk}/").content.decode()
    assert "same problem" in merged
