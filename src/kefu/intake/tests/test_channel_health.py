"""Channel health: states, backlog, silence alerts once per episode, and the console pages
where supervisors connect accounts (secrets write-only) and see what did not go out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from conftest import console_client
from kefu.accounts.models import AuditLogEntry, User
from kefu.conversations import services as conversations
from kefu.intake import health
from kefu.intake.adapters import InboundMessage, Sender
from kefu.intake.ingest import ingest
from kefu.intake.models import ChannelAccount, ChannelKind, DeliveryStatus, OutboundDelivery
from kefu.routing.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db


def webhook_account(**fields: object) -> ChannelAccount:
    return ChannelAccount.objects.create(
        kind=ChannelKind.WEBHOOK, name="In-app chat", config={"secret": "s3cret"}, **fields
    )


def message_on(account: ChannelAccount, external_id: str) -> InboundMessage:
    return InboundMessage(
        external_id=external_id,
        sender=Sender(external_id="u1"),
        body="hello",
        thread_keys=("thread:t1",),
        own_keys=("thread:t1",),
        reply_address={"thread_id": "t1"},
    )


def test_states_follow_failures_silence_and_pausing() -> None:
    now = timezone.now()
    account = webhook_account(silence_alert_minutes=30)
    assert health.state_of(account, now) == "ok"
    assert health.state_of(account, now + timedelta(minutes=31)) == "silent"
    account.consecutive_failures = 1
    assert health.state_of(account, now) == "failing"
    account.consecutive_failures = 3
    assert health.state_of(account, now) == "down"
    account.is_active = False
    assert health.state_of(account, now) == "paused"


def test_the_backlog_counts_replies_waiting_and_failed(agent: User) -> None:
    account = webhook_account()
    result = ingest(account, message_on(account, "m1"))
    assert result.conversation is not None
    for text in ("one", "two", "three"):
        conversations.post_agent_message(agent, result.conversation.pk, body=text)
    OutboundDelivery.objects.filter(message__body="three").update(status=DeliveryStatus.FAILED)
    (item,) = health.channel_health()
    assert (item.backlog, item.failed) == (2, 1)
    assert item.oldest_waiting_at is not None


def test_a_silent_channel_alerts_supervisors_once_until_it_recovers(
    supervisor: User, agent: User
) -> None:
    account = webhook_account(silence_alert_minutes=10)
    later = timezone.now() + timedelta(minutes=11)
    assert health.alert_silent_channels(later) == 1
    assert health.alert_silent_channels(later) == 0
    notification = Notification.objects.get()
    assert notification.recipient == supervisor and notification.kind == NotificationKind.CHANNEL
    assert notification.data["name"] == "In-app chat"
    # A message comes in: the channel works again, and may alert the next time it stops.
    ingest(account, message_on(account, "m1"))
    assert health.alert_silent_channels(timezone.now()) == 0
    account.refresh_from_db()
    assert account.silence_alerted_at is None
    assert health.alert_silent_channels(timezone.now() + timedelta(minutes=11)) == 1


def test_supervisors_connect_an_account_and_its_secret_is_never_shown(
    supervisor: User,
) -> None:
    client = console_client(supervisor)
    response = client.post(
        "/console/channels/new/webhook/",
        {
            "name": "App chat",
            "is_active": "on",
            "silence_alert_minutes": "60",
            "setting_secret": "topsecret-value-0123",
            "setting_outbound_url": "https://app.example.com/kefu",
        },
    )
    account = ChannelAccount.objects.get()
    assert response.status_code == 302
    assert account.config["secret"] == "topsecret-value-0123"
    assert account.config["outbound_url"] == "https://app.example.com/kefu"
    page = client.get(f"/console/channels/{account.pk}/").content.decode()
    assert "topsecret-value-0123" not in page
    audit = AuditLogEntry.objects.get(action="channel.created")
    assert "topsecret-value-0123" not in str(audit.after)
    # Saving again with the secret left empty keeps it.
    client.post(
        f"/console/channels/{account.pk}/",
        {"name": "App chat 2", "silence_alert_minutes": "0", "setting_secret": ""},
    )
    account.refresh_from_db()
    assert (account.name, account.is_active) == ("App chat 2", False)
    assert account.config["secret"] == "topsecret-value-0123"
    listing = client.get("/console/channels/").content.decode()
    assert "App chat 2" in listing


def test_agents_cannot_see_or_change_channels(agent: User) -> None:
    account = webhook_account()
    client: Client = console_client(agent)
    assert client.get("/console/channels/").status_code == 404
    response = client.post(f"/console/channels/{account.pk}/", {"name": "taken"})
    assert response.status_code == 404
    account.refresh_from_db()
    assert account.name == "In-app chat"


def test_a_failed_reply_can_be_sent_again(supervisor: User, agent: User) -> None:
    account = webhook_account()
    result = ingest(account, message_on(account, "m1"))
    assert result.conversation is not None
    conversations.post_agent_message(agent, result.conversation.pk, body="answer")
    delivery = OutboundDelivery.objects.get()
    OutboundDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, attempts=12, last_error="gateway refused: 410"
    )
    client = console_client(supervisor)
    page = client.get(f"/console/channels/{account.pk}/").content.decode()
    assert "gateway refused: 410" in page
    client.post(f"/console/channels/deliveries/{delivery.pk}/retry/")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.RETRYING, 0)
    assert AuditLogEntry.objects.filter(action="channel.delivery_retried").count() == 1


def test_the_side_bar_shows_where_replies_go_the_identities_and_calls(supervisor: User) -> None:
    from kefu.intake.channels.phone.services import log_call_by_hand

    account = ChannelAccount.objects.create(kind=ChannelKind.TELEGRAM, name="NovaEx bot")
    inbound = InboundMessage(
        external_id="7:1",
        sender=Sender(external_id="7", name="Wang", username="wang_<b>"),
        body="充值没到",
        thread_keys=("chat:7",),
        own_keys=("chat:7",),
        reply_address={"chat_id": 7},
    )
    result = ingest(account, inbound)
    assert result.conversation is not None
    log_call_by_hand(
        supervisor,
        result.conversation.pk,
        direction="inbound",
        started_at=timezone.now(),
        duration_seconds=312,
        notes="Called about the deposit",
    )
    page = console_client(supervisor).get(f"/console/c/{result.conversation.pk}/").content.decode()
    card = page[page.index('id="channel-card"') :]
    assert "NovaEx bot" in card
    assert "@wang_&lt;b&gt;" in card and "wang_<b>" not in card
    assert "5 min 12 s" in card and "Called about the deposit" in card
    assert f"/console/channels/phone/c/{result.conversation.pk}/log/" in card


def test_the_sweep_polls_only_the_channels_that_poll() -> None:
    from kefu.intake.adapters import adapter_for
    from kefu.intake.schedule import poll_due

    for kind in ChannelKind.values:
        ChannelAccount.objects.create(kind=kind, name=f"{kind} account")
        assert adapter_for(kind).kind == kind
    # Telegram in its default (webhook-less polling) mode would poll: leave it out here.
    ChannelAccount.objects.filter(kind__in=[ChannelKind.TELEGRAM, ChannelKind.EMAIL]).update(
        is_active=False
    )
    assert poll_due(force=True) == {}
    assert not ChannelAccount.objects.exclude(last_error="").exists()
