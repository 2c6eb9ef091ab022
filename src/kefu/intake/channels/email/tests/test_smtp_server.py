"""The SMTP receiving endpoint, spoken to by a real SMTP client."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest

from kefu.conversations.models import AuthorType, Conversation, Message
from kefu.intake.channels.email.smtp_server import smtp_controller
from kefu.intake.channels.email.tests import mails
from kefu.intake.channels.email.tests.conftest import account_config, free_port
from kefu.intake.channels.email.tokens import plus_address
from kefu.intake.models import ChannelAccount, InboundRecord

# The server stores mail from its own thread: it must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account() -> ChannelAccount:
    return ChannelAccount.objects.create(
        kind="email", name="Support", config=account_config(None, None, max_message_bytes=100_000)
    )


@pytest.fixture
def endpoint(account: ChannelAccount) -> Iterator[int]:
    port = free_port()
    controller = smtp_controller("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


def send(port: int, raw: bytes, recipients: list[str], sender: str = "alice@example.com") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(sender, recipients, raw)


def test_mail_for_the_support_address_is_stored(endpoint: int) -> None:
    send(endpoint, mails.plain("Hello over SMTP"), [mails.SUPPORT_ADDRESS])

    conversation = Conversation.objects.get()
    assert conversation.customer.email == "alice@example.com"
    assert list(conversation.messages.values_list("body", flat=True)) == ["Hello over SMTP"]


def test_mail_for_any_other_address_is_refused(endpoint: int) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(endpoint, mails.plain("Relay me"), ["someone@elsewhere.example"])

    assert refused.value.recipients["someone@elsewhere.example"][0] == 550
    assert not Conversation.objects.exists()
    assert not InboundRecord.objects.exists()


def test_a_mail_over_the_size_limit_is_refused(endpoint: int) -> None:
    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
        send(endpoint, mails.plain("x" * 150_000), [mails.SUPPORT_ADDRESS])

    assert refused.value.smtp_code == 552
    assert not Conversation.objects.exists()


def test_an_answer_to_the_plus_address_continues_the_customer_s_conversation(
    endpoint: int,
) -> None:
    send(endpoint, mails.plain("First"), [mails.SUPPORT_ADDRESS])
    conversation = Conversation.objects.get()
    answer = mails.plain("Second, from a client that drops every header", message_id="<n@x>")

    send(endpoint, answer, [plus_address(mails.SUPPORT_ADDRESS, conversation.number)])

    assert Conversation.objects.count() == 1
    assert conversation.messages.filter(author_type=AuthorType.CUSTOMER).count() == 2


def test_an_auto_reply_is_accepted_and_not_stored(endpoint: int) -> None:
    raw = mails.plain("Away", headers={"Auto-Submitted": "auto-replied"}, message_id="<away@x>")

    send(endpoint, raw, [mails.SUPPORT_ADDRESS])

    assert InboundRecord.objects.get().skipped == "auto-reply"
    assert not Message.objects.exists()


def test_a_redelivered_mail_is_stored_once(endpoint: int) -> None:
    raw = mails.plain("Hello")

    send(endpoint, raw, [mails.SUPPORT_ADDRESS])
    send(endpoint, raw, [mails.SUPPORT_ADDRESS])

    assert Message.objects.count() == 1
