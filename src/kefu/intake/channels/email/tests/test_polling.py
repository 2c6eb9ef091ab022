"""Polling the support mailbox over IMAP: the cursor, redelivery, outages and recovery."""

from __future__ import annotations

import pytest

from kefu.conversations.models import AuthorType, Conversation, Message
from kefu.intake.channels.email.adapter import FETCH_BATCH, EmailAdapter, _by_size
from kefu.intake.channels.email.imap import MailboxError
from kefu.intake.channels.email.tests import mails
from kefu.intake.channels.email.tests.conftest import ImapServer, SmtpSink, account_config
from kefu.intake.models import ChannelAccount, InboundRecord
from kefu.intake.schedule import poll_due

pytestmark = pytest.mark.django_db
adapter = EmailAdapter()


def uid_validity(imap: ImapServer, folder: str = "INBOX") -> int:
    client = imap.client()
    try:
        client.select(folder)
        return int(client.response("UIDVALIDITY")[1][0])
    finally:
        client.logout()


def bodies() -> list[str]:
    return list(
        Message.objects.filter(author_type=AuthorType.CUSTOMER)
        .order_by("pk")
        .values_list("body", flat=True)
    )


def test_polling_twice_stores_each_mail_once_and_moves_the_cursor(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    imap_server.append(mails.plain("One", message_id="<one@x.example>"))
    imap_server.append(mails.plain("Two", message_id="<two@x.example>", sender="b@x.example"))

    assert adapter.poll(mailbox_account) == 2
    validity = uid_validity(imap_server)
    mailbox_account.refresh_from_db()
    first_cursor = mailbox_account.cursor
    assert first_cursor.startswith(f"{validity}:")

    assert adapter.poll(mailbox_account) == 0
    imap_server.append(mails.plain("Three", message_id="<three@x.example>", sender="c@x.example"))
    assert adapter.poll(mailbox_account) == 1

    assert bodies() == ["One", "Two", "Three"]
    mailbox_account.refresh_from_db()
    assert int(mailbox_account.cursor.split(":")[1]) == int(first_cursor.split(":")[1]) + 1
    # Nothing was marked read: the exchange's own mail client still sees the mail as new.
    assert imap_server.seen_uids() == []


def test_a_mailbox_rebuilt_with_a_new_uidvalidity_is_read_again_without_duplicates(
    imap_server: ImapServer, smtp_sink: SmtpSink
) -> None:
    imap_server.create("Support")
    account = ChannelAccount.objects.create(
        kind="email",
        name="Support",
        config=account_config(imap_server, smtp_sink, imap_folder="Support"),
    )
    imap_server.append(mails.plain("One", message_id="<one@x.example>"), folder="Support")
    assert adapter.poll(account) == 1
    old_validity = uid_validity(imap_server, "Support")

    imap_server.recreate("Support")
    imap_server.append(mails.plain("One", message_id="<one@x.example>"), folder="Support")
    imap_server.append(
        mails.plain("Two", message_id="<two@x.example>", sender="b@x.example"), folder="Support"
    )

    assert adapter.poll(account) == 1
    assert bodies() == ["One", "Two"]
    account.refresh_from_db()
    new_validity = uid_validity(imap_server, "Support")
    assert new_validity != old_validity
    assert account.cursor.startswith(f"{new_validity}:")


def test_more_mail_than_one_batch_is_all_read(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    count = FETCH_BATCH + 5
    for number in range(count):
        imap_server.append(
            mails.plain(
                f"Mail {number}", message_id=f"<b{number}@x.example>", sender=f"c{number}@x.example"
            )
        )

    assert adapter.poll(mailbox_account) == count
    assert Conversation.objects.count() == count


def test_a_hung_server_raises_and_the_next_poll_fetches_what_was_missed(
    imap_server: ImapServer, smtp_sink: SmtpSink
) -> None:
    account = ChannelAccount.objects.create(
        kind="email",
        name="Support",
        config=account_config(imap_server, smtp_sink, timeout_seconds=1),
    )
    imap_server.append(mails.plain("Before", message_id="<before@x.example>"))
    assert adapter.poll(account) == 1
    cursor = ChannelAccount.objects.get(pk=account.pk).cursor
    imap_server.append(
        mails.plain("While down", message_id="<down@x.example>", sender="b@x.example")
    )

    imap_server.pause()
    try:
        with pytest.raises(MailboxError, match="timed out"):
            adapter.poll(account)
    finally:
        imap_server.resume()

    assert ChannelAccount.objects.get(pk=account.pk).cursor == cursor
    assert adapter.poll(account) == 1
    assert bodies() == ["Before", "While down"]


def test_the_sweep_records_a_mailbox_that_is_down_and_recovers(
    imap_server: ImapServer, smtp_sink: SmtpSink
) -> None:
    account = ChannelAccount.objects.create(
        kind="email",
        name="Support",
        config=account_config(imap_server, smtp_sink, timeout_seconds=1),
    )
    imap_server.append(mails.plain("Hello", message_id="<hello@x.example>"))
    imap_server.pause()
    try:
        assert poll_due(force=True, only=account.pk) == {}
    finally:
        imap_server.resume()
    account.refresh_from_db()
    assert account.consecutive_failures == 1
    assert "timed out" in account.last_error

    assert poll_due(force=True, only=account.pk) == {account.pk: 1}

    account.refresh_from_db()
    assert account.consecutive_failures == 0
    assert bodies() == ["Hello"]


def test_unreachable_server_and_refused_login_are_clear_errors(
    imap_server: ImapServer, smtp_sink: SmtpSink
) -> None:
    closed_port = ChannelAccount.objects.create(
        kind="email", name="Down", config=account_config(imap_server, smtp_sink, imap_port=1)
    )
    wrong_password = ChannelAccount.objects.create(
        kind="email",
        name="Wrong",
        config=account_config(imap_server, smtp_sink, imap_password="not the password"),
    )

    with pytest.raises(MailboxError, match=r"cannot reach the IMAP server 127\.0\.0\.1:1"):
        adapter.poll(closed_port)
    with pytest.raises(MailboxError, match="refused the login") as refused:
        adapter.poll(wrong_password)
    assert "not the password" not in str(refused.value)
    assert InboundRecord.objects.count() == 0


def test_marking_mail_read_is_optional(imap_server: ImapServer, smtp_sink: SmtpSink) -> None:
    account = ChannelAccount.objects.create(
        kind="email",
        name="Support",
        config=account_config(imap_server, smtp_sink, imap_mark_seen=True),
    )
    imap_server.append(mails.plain("Hello", message_id="<hello@x.example>"))

    assert adapter.poll(account) == 1

    assert len(imap_server.seen_uids()) == 1


def test_big_mails_are_fetched_a_few_at_a_time() -> None:
    megabyte = 1024 * 1024
    sizes = {1: 20 * megabyte, 2: 20 * megabyte, 3: 1000, 4: 40 * megabyte}

    # Mail 4 is over the limit: only its header is fetched, so it weighs nothing here.
    assert _by_size([1, 2, 3, 4, 5], sizes, 25 * megabyte) == [[1], [2, 3, 4, 5]]
