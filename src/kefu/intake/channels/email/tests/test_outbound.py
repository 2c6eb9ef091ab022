"""Agents' replies mailed through a real SMTP server, threaded so the customer's answer comes
back into the same conversation."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.accounts.models import User
from kefu.accounts.services import save_brand
from kefu.conversations.models import AuthorType, Conversation, Customer, TimelineKind
from kefu.conversations.services.messages import post_agent_message
from kefu.intake import outbound
from kefu.intake.channels.email.adapter import EmailAdapter
from kefu.intake.channels.email.tests import mails
from kefu.intake.channels.email.tests.conftest import (
    ImapServer,
    SentMail,
    SmtpSink,
    account_config,
    free_port,
)
from kefu.intake.channels.email.tokens import is_own_loop_mark, ticket_tag
from kefu.intake.models import ChannelAccount, DeliveryStatus, OutboundDelivery, ThreadKey
from kefu.lib.uploads import CheckedUpload, check_upload

pytestmark = pytest.mark.django_db
adapter = EmailAdapter()


@pytest.fixture
def ticket(imap_server: ImapServer, mailbox_account: ChannelAccount) -> Conversation:
    """Alice's mail, read from the mailbox."""
    imap_server.append(
        mails.plain(
            "My deposit is missing.",
            message_id="<m2@mail.example.com>",
            references="<m0@mail.example.com>",
            in_reply_to="<m0@mail.example.com>",
        )
    )
    assert adapter.poll(mailbox_account) == 1
    return Conversation.objects.get()


def reply(
    agent: User, conversation: Conversation, body: str, uploads: list[CheckedUpload] | None = None
) -> OutboundDelivery:
    posted = post_agent_message(agent, conversation.pk, body=body, uploads=uploads or [])
    return OutboundDelivery.objects.get(message=posted.message)


def body_of(mail: EmailMessage, subtype: str) -> str:
    part = mail.get_body((subtype,))
    assert isinstance(part, EmailMessage)
    return str(part.get_content()).replace("\r\n", "\n")


def only_mail(sink: SmtpSink) -> SentMail:
    assert len(sink.received) == 1
    return sink.received[0]


def test_an_agent_reply_is_mailed_threaded_and_branded(
    agent: User, ticket: Conversation, smtp_sink: SmtpSink
) -> None:
    save_brand(name="NovaEx", name_zh="新星交易所", primary_color="#123456")
    delivery = reply(agent, ticket, "Hi Alice,\nthe deposit is <credited> now.")

    assert outbound.deliver_due() == 1

    sent = only_mail(smtp_sink)
    assert (sent.mail_from, sent.rcpt_tos) == ("support@novaex.test", ["alice@example.com"])
    mail = sent.message
    assert mail["From"] == "NovaEx <support@novaex.test>"
    assert mail["To"] == "alice@example.com"
    assert mail["Subject"] == f"Re: My USDT deposit has not arrived {ticket_tag(ticket.number)}"
    assert mail["In-Reply-To"] == "<m2@mail.example.com>"
    assert mail["References"] == "<m0@mail.example.com> <m2@mail.example.com>"
    message_id = mail["Message-ID"].strip("<>")
    assert message_id.startswith("kefu.") and message_id.endswith("@novaex.test")
    assert is_own_loop_mark(mail["X-Kefu-Loop"])
    assert "Auto-Submitted" not in mail
    text = body_of(mail, "plain")
    html = body_of(mail, "html")
    assert "Hi Alice,\nthe deposit is <credited> now." in text
    assert "Agent" in text and "NovaEx" in text
    assert "Hi Alice,<br>the deposit is &lt;credited&gt; now." in html
    assert "#123456" in html and "NovaEx" in html
    assert "anti-phishing" not in text + html
    delivery.refresh_from_db()
    assert (delivery.status, delivery.external_id) == (DeliveryStatus.SENT, message_id)
    assert ThreadKey.objects.get(key=message_id).conversation == ticket


def test_the_customer_s_anti_phishing_code_is_in_every_mail(
    agent: User, ticket: Conversation, smtp_sink: SmtpSink
) -> None:
    # Set at the exchange and synchronised; no Kefu screen edits it.
    Customer.objects.filter(pk=ticket.customer_id).update(anti_phishing_code="NOVA-7731")
    reply(agent, ticket, "We are checking.")

    outbound.deliver_due()

    mail = only_mail(smtp_sink).message
    assert body_of(mail, "plain").startswith("Your anti-phishing code: NOVA-7731\n")
    assert "Your anti-phishing code: NOVA-7731" in body_of(mail, "html")


def test_the_agent_s_files_are_attached(
    agent: User, ticket: Conversation, smtp_sink: SmtpSink
) -> None:
    upload = check_upload(SimpleUploadedFile("receipt.pdf", mails.PDF, "application/pdf"))
    reply(agent, ticket, "The receipt is attached.", uploads=[upload])

    outbound.deliver_due()

    files = [
        (part.get_filename(), part.get_content_type(), part.get_content())
        for part in only_mail(smtp_sink).message.iter_attachments()
    ]
    assert files == [("receipt.pdf", "application/pdf", mails.PDF)]


def customer_answer(sent: SentMail, body: str, *, keep_threading: bool = True) -> bytes:
    """What Alice's mail program sends when she answers Kefu's mail."""
    original = sent.message
    answer = EmailMessage()
    answer["From"] = "Alice Wang <alice@example.com>"
    answer["To"] = original["From"]
    answer["Subject"] = "Re: " + original["Subject"]
    answer["Message-ID"] = "<answer@mail.example.com>"
    if keep_threading:
        answer["In-Reply-To"] = original["Message-ID"]
        answer["References"] = f"{original['References']} {original['Message-ID']}"
    quoted = "\n".join("> " + line for line in body_of(original, "plain").split("\n"))
    answer.set_content(
        f"{body}\n\nOn Tue, 2 Jan 2024, NovaEx <support@novaex.test> wrote:\n{quoted}"
    )
    return answer.as_bytes()


@pytest.mark.parametrize("keep_threading", [True, False], ids=["headers", "subject-tag-only"])
def test_the_customer_s_answer_to_a_reply_comes_back_into_the_conversation(
    agent: User,
    ticket: Conversation,
    smtp_sink: SmtpSink,
    imap_server: ImapServer,
    mailbox_account: ChannelAccount,
    keep_threading: bool,
) -> None:
    reply(agent, ticket, "Please send the TXID.")
    outbound.deliver_due()
    imap_server.append(
        customer_answer(only_mail(smtp_sink), "TXID 0xfeed", keep_threading=keep_threading)
    )

    assert adapter.poll(mailbox_account) == 1

    assert Conversation.objects.count() == 1
    customer_bodies = list(
        ticket.messages.filter(author_type=AuthorType.CUSTOMER)
        .order_by("pk")
        .values_list("body", flat=True)
    )
    assert customer_bodies == ["My deposit is missing.", "TXID 0xfeed"]
    # The next reply answers the customer's latest mail.
    reply(agent, ticket, "Found it, thanks.")
    outbound.deliver_due()
    assert smtp_sink.received[1].message["In-Reply-To"] == "<answer@mail.example.com>"


def test_a_refused_recipient_fails_the_delivery_at_once(
    agent: User, ticket: Conversation, smtp_sink: SmtpSink
) -> None:
    smtp_sink.refuse["alice@example.com"] = "550 5.1.1 No such user"
    delivery = reply(agent, ticket, "Hello")

    outbound.deliver_due()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert "refused the recipient (550)" in delivery.last_error
    assert ticket.timeline.filter(kind=TimelineKind.DELIVERY_FAILED).count() == 1
    assert smtp_sink.received == []


def test_a_temporary_refusal_or_an_unreachable_server_is_retried(
    agent: User, ticket: Conversation, smtp_sink: SmtpSink, mailbox_account: ChannelAccount
) -> None:
    smtp_sink.refuse["alice@example.com"] = "451 4.7.1 Greylisted, try again later"
    first = reply(agent, ticket, "Hello")
    outbound.deliver_due()
    first.refresh_from_db()
    assert (first.status, first.last_error) == (
        DeliveryStatus.RETRYING,
        f"127.0.0.1:{smtp_sink.port} refused the recipient (451)",
    )

    ChannelAccount.objects.filter(pk=mailbox_account.pk).update(
        config=account_config(None, None) | {"smtp_host": "127.0.0.1", "smtp_port": free_port()}
    )
    second = reply(agent, ticket, "Hello again")
    outbound.deliver(second.pk)
    second.refresh_from_db()
    assert second.status == DeliveryStatus.RETRYING
    assert second.last_error.startswith("cannot send through 127.0.0.1:")


def test_a_bounce_of_a_sent_reply_marks_it_failed(
    agent: User,
    ticket: Conversation,
    smtp_sink: SmtpSink,
    imap_server: ImapServer,
    mailbox_account: ChannelAccount,
) -> None:
    delivery = reply(agent, ticket, "Hello")
    outbound.deliver_due()
    delivery.refresh_from_db()

    imap_server.append(mails.delivery_report(delivery.external_id))
    assert adapter.poll(mailbox_account) == 0

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.FAILED, "bounced")
    failed = ticket.timeline.get(kind=TimelineKind.DELIVERY_FAILED)
    assert failed.data["reason"] == "bounced"
    assert ticket.messages.filter(author_type=AuthorType.CUSTOMER).count() == 1


def test_a_reply_goes_to_the_customer_even_after_someone_else_wrote_in_the_thread(
    agent: User,
    ticket: Conversation,
    smtp_sink: SmtpSink,
    imap_server: ImapServer,
    mailbox_account: ChannelAccount,
) -> None:
    imap_server.append(
        mails.plain(
            "I am Alice's colleague, send the details to me.",
            sender="mallory@example.net",
            message_id="<cc@example.net>",
            in_reply_to="<m2@mail.example.com>",
        )
    )
    assert adapter.poll(mailbox_account) == 1
    reply(agent, ticket, "Your account details are ...")

    outbound.deliver_due()

    assert only_mail(smtp_sink).rcpt_tos == ["alice@example.com"]
