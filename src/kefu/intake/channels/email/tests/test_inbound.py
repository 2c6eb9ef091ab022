"""Mail into tickets: what customers' mail programs send, read from a real IMAP server."""

from __future__ import annotations

import pytest

from kefu.conversations.models import Attachment, AuthorType, Channel, Conversation, Message
from kefu.intake.channels.email.adapter import EmailAdapter
from kefu.intake.channels.email.tests import mails
from kefu.intake.channels.email.tests.conftest import ImapServer
from kefu.intake.channels.email.tokens import ticket_tag, ticket_token
from kefu.intake.models import ChannelAccount, ChannelThread, InboundRecord

pytestmark = pytest.mark.django_db
adapter = EmailAdapter()


def receive(imap: ImapServer, account: ChannelAccount, *raw_mails: bytes) -> int:
    for raw in raw_mails:
        imap.append(raw)
    return adapter.poll(account)


def customer_messages(conversation: Conversation) -> list[str]:
    return list(
        conversation.messages.filter(author_type=AuthorType.CUSTOMER)
        .order_by("pk")
        .values_list("body", flat=True)
    )


def test_a_new_mail_opens_a_conversation_of_its_sender(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    stored = receive(imap_server, mailbox_account, mails.plain("I sent 500 USDT two hours ago."))

    assert stored == 1
    conversation = Conversation.objects.get()
    assert conversation.channel == Channel.EMAIL
    assert conversation.subject == "My USDT deposit has not arrived"
    assert conversation.customer.email == "alice@example.com"
    assert conversation.customer.name == "Alice Wang"
    assert customer_messages(conversation) == ["I sent 500 USDT two hours ago."]
    thread = ChannelThread.objects.get(conversation=conversation)
    assert thread.account == mailbox_account
    assert thread.address == {
        "to": "alice@example.com",
        "subject": "My USDT deposit has not arrived",
        "message_id": "m1@mail.example.com",
        "references": ["m1@mail.example.com"],
    }
    record = InboundRecord.objects.get()
    assert (record.external_id, record.conversation, record.skipped) == (
        "m1@mail.example.com",
        conversation,
        "",
    )


def test_a_reply_continues_the_conversation_it_answers_by_in_reply_to(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    receive(imap_server, mailbox_account, mails.plain("First."))
    reply = mails.plain(
        "Here is the TXID.\n\nOn Mon, 1 Jan 2024 at 10:00, Alice Wang <alice@example.com> wrote:\n"
        "> First.",
        subject="Re: My USDT deposit has not arrived",
        message_id="<m2@mail.example.com>",
        in_reply_to="<m1@mail.example.com>",
    )

    assert receive(imap_server, mailbox_account, reply) == 1

    conversation = Conversation.objects.get()
    assert customer_messages(conversation) == ["First.", "Here is the TXID."]


def test_a_reply_continues_the_conversation_by_its_references(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    receive(imap_server, mailbox_account, mails.plain("First."))
    reply = mails.plain(
        "Still waiting.",
        message_id="<m3@mail.example.com>",
        in_reply_to="<unknown@elsewhere.example>",
        references="<m1@mail.example.com> <unknown@elsewhere.example>",
    )

    receive(imap_server, mailbox_account, reply)

    assert customer_messages(Conversation.objects.get()) == ["First.", "Still waiting."]


def test_a_mail_with_the_ticket_tag_from_the_customer_continues_the_conversation(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    receive(imap_server, mailbox_account, mails.plain("First."))
    conversation = Conversation.objects.get()
    tagged = mails.plain(
        "A new mail, no threading headers, but the subject kept the tag.",
        subject=f"Deposit {ticket_tag(conversation.number)}",
        message_id="<m4@mail.example.com>",
        sender="ALICE@Example.com",
    )

    receive(imap_server, mailbox_account, tagged)

    assert Conversation.objects.count() == 1
    assert customer_messages(conversation)[-1].startswith("A new mail")


@pytest.mark.parametrize(
    "tag",
    ["[#{number}]", "[#{number}-0000000000]", "[#{number}-{other_token}]"],
    ids=["no-token", "made-up-token", "token-of-another-ticket"],
)
def test_a_forged_ticket_tag_attaches_nothing(
    imap_server: ImapServer, mailbox_account: ChannelAccount, tag: str
) -> None:
    receive(imap_server, mailbox_account, mails.plain("First."))
    victim = Conversation.objects.get()
    subject = tag.format(number=victim.number, other_token=ticket_token(victim.number + 1))
    forged = mails.plain(
        "Hello", subject=f"Re: {subject}", message_id="<forged@x.example>", sender="alice@x.example"
    )
    # Even from the customer's own address, a tag that does not verify is just text.
    spoofed = mails.plain("Hello again", subject=subject, message_id="<spoof@example.com>")

    receive(imap_server, mailbox_account, forged, spoofed)

    assert customer_messages(victim) == ["First."]
    assert Conversation.objects.count() == 3


def test_a_genuine_tag_from_someone_else_opens_their_own_conversation(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    receive(imap_server, mailbox_account, mails.plain("First."))
    victim = Conversation.objects.get()
    forwarded = mails.plain(
        "Someone forwarded me this.",
        subject=f"Fwd: Re: Deposit {ticket_tag(victim.number)}",
        message_id="<fw@mallory.example>",
        sender="mallory@mallory.example",
    )

    receive(imap_server, mailbox_account, forwarded)

    other = Conversation.objects.exclude(pk=victim.pk).get()
    assert other.customer.email == "mallory@mallory.example"
    assert other.subject == "Deposit"
    assert customer_messages(victim) == ["First."]


def test_gbk_mail_labelled_gb2312_is_read_in_full(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    # 镕 is in GBK but not GB2312: mail programs send GBK and call it gb2312.
    raw = mails.encoded(
        "您好，我的充值一直没有到账，朱镕基。",
        "gbk",
        declared="gb2312",
        subject="充值没有到账（镕）",
    )

    receive(imap_server, mailbox_account, raw)

    conversation = Conversation.objects.get()
    assert conversation.subject == "充值没有到账（镕）"
    assert customer_messages(conversation) == ["您好，我的充值一直没有到账，朱镕基。"]
    assert conversation.language == "zh"


def test_big5_mail_with_hong_kong_characters_is_read_in_full(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    # 嘅 is an HKSCS character, sent labelled plain big5.
    raw = mails.encoded(
        "我嘅提款仲未到帳，請幫手。", "big5hkscs", declared="big5", subject="提款未到帳"
    )

    receive(imap_server, mailbox_account, raw)

    conversation = Conversation.objects.get()
    assert conversation.subject == "提款未到帳"
    assert customer_messages(conversation) == ["我嘅提款仲未到帳，請幫手。"]


def test_html_only_mail_is_sanitised_and_its_text_extracted(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    html = (
        "<html><head><style>p {color: red}</style><script>steal()</script></head><body>"
        '<p onclick="steal()">My withdrawal is <b>stuck</b>.</p>'
        '<img src="https://tracker.example/pixel.gif"><a href="javascript:steal()">link</a>'
        "<ul><li>TXID 0xabc</li></ul></body></html>"
    )

    receive(imap_server, mailbox_account, mails.html_only(html))

    message = Message.objects.get(author_type=AuthorType.CUSTOMER)
    assert message.body == "My withdrawal is stuck.\nlink\n\n• TXID 0xabc"
    assert "script" not in message.html and "steal" not in message.html
    assert "tracker.example" not in message.html
    assert "<b>stuck</b>" in message.html


def test_inline_image_and_attachment_are_kept(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    receive(imap_server, mailbox_account, mails.with_files())

    message = Message.objects.get(author_type=AuthorType.CUSTOMER)
    assert message.body == "See the screenshot and my statement."
    assert 'src="cid:shot@example.com"' in message.html
    files = sorted(
        Attachment.objects.filter(message=message).values_list("content_type", "original_name")
    )
    assert files == [("application/pdf", "statement.pdf"), ("image/png", "image.png")]


def test_malformed_mime_is_stored_as_far_as_it_can_be_read(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    broken = (
        b"From: dave@example.com\r\nTo: support@novaex.test\r\nSubject: =?utf-8?b?broken\r\n"
        b"Message-ID: <broken@example.com>\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
        b"--never-closed\r\nContent-Type: text/plain; charset=no-such-charset\r\n\r\n"
        b"Help, \xe6\x88\x91\xe7\x9a\x84 account is locked\r\n"
        b"--never-closed\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"!!!this is not base64###\r\n--wrong-boundary\r\n"
    )
    headerless = b"\xff\xfe\x00 not a mail at all \x00\x01"

    stored = receive(imap_server, mailbox_account, broken, headerless)

    assert stored == 1
    message = Message.objects.get(author_type=AuthorType.CUSTOMER)
    assert message.body == "Help, 我的 account is locked"
    assert list(InboundRecord.objects.exclude(skipped="").values_list("skipped", flat=True)) == [
        "no-sender"
    ]


def test_a_mail_over_the_size_limit_is_skipped_and_a_long_one_is_cut(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    ChannelAccount.objects.filter(pk=mailbox_account.pk).update(
        config=mailbox_account.config | {"max_message_bytes": 200_000}
    )
    mailbox_account.refresh_from_db()
    huge = mails.plain("x" * 300_000, message_id="<huge@example.com>")
    log = "\n".join(f"Log line {number}: withdrawal pending" for number in range(600))
    long = mails.plain(log, message_id="<long@example.com>")

    stored = receive(imap_server, mailbox_account, huge, long)

    assert stored == 1
    skipped = InboundRecord.objects.get(skipped="too-large")
    assert skipped.external_id == "huge@example.com"
    message = Message.objects.get(author_type=AuthorType.CUSTOMER)
    assert len(message.body) == 10_000
    assert message.body.endswith("[The message was cut here; the whole text is attached.]")
    attachment = Attachment.objects.get(message=message)
    assert attachment.original_name == "message.txt"
    assert attachment.size == len(log)
    with attachment.file.open("rb") as handle:
        assert handle.read().decode() == log


@pytest.mark.parametrize(
    ("headers", "subject", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: Deposit", "auto-reply"),
        ({"Precedence": "bulk"}, "Newsletter", "auto-reply"),
        ({"X-Autoreply": "yes"}, "Re: Deposit", "auto-reply"),
        ({}, "Out of Office: back on Monday", "auto-reply"),
        ({}, "自动回复：我正在休假", "auto-reply"),
        ({"List-Unsubscribe": "<mailto:leave@list.example>"}, "Weekly digest", "bulk"),
        ({"Return-Path": "<>"}, "Delivery Status Notification (Failure)", "bounce"),
    ],
)
def test_automatic_mail_is_skipped_and_not_answered(
    imap_server: ImapServer,
    mailbox_account: ChannelAccount,
    headers: dict[str, str],
    subject: str,
    reason: str,
) -> None:
    raw = mails.plain("I am away.", subject=subject, headers=headers, message_id="<auto@x.example>")

    assert receive(imap_server, mailbox_account, raw) == 0

    assert not Conversation.objects.exists()
    record = InboundRecord.objects.get()
    assert (record.external_id, record.skipped) == ("auto@x.example", reason)


def test_a_delivery_report_is_skipped(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    assert receive(imap_server, mailbox_account, mails.delivery_report("kefu.1@novaex.test")) == 0

    assert not Conversation.objects.exists()
    assert InboundRecord.objects.get().skipped == "bounce"


def test_our_own_mail_coming_back_is_a_loop(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    from kefu.intake.channels.email.tokens import loop_mark

    ours = mails.plain(
        "Our reply", headers={"X-Kefu-Loop": loop_mark(mailbox_account.pk)}, message_id="<o@x>"
    )
    # Anyone can write the header; only this installation's signature makes it a loop.
    forged = mails.plain("A person", headers={"X-Kefu-Loop": "1.0123456789abcdef"})

    assert receive(imap_server, mailbox_account, ours, forged) == 1

    assert InboundRecord.objects.get(external_id="o@x").skipped == "loop"
    assert customer_messages(Conversation.objects.get()) == ["A person"]


def test_a_mail_from_the_support_address_itself_is_a_loop(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    raw = mails.plain("Spoofed", sender=f"Support <{mails.SUPPORT_ADDRESS.upper()}>")

    assert receive(imap_server, mailbox_account, raw) == 0

    assert InboundRecord.objects.get().skipped == "loop"
    assert not Conversation.objects.exists()


def test_a_sender_mailing_in_a_loop_is_cut_off(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    ChannelAccount.objects.filter(pk=mailbox_account.pk).update(
        config=mailbox_account.config | {"loop_max_mails": 3}
    )
    mailbox_account.refresh_from_db()
    ping_pong = [
        mails.plain(
            f"Thanks for your mail ({number})",
            message_id=f"<pong{number}@x.example>",
            in_reply_to="<pong0@x.example>" if number else "",
        )
        for number in range(5)
    ]

    assert receive(imap_server, mailbox_account, *ping_pong) == 3

    assert customer_messages(Conversation.objects.get()) == [
        "Thanks for your mail (0)",
        "Thanks for your mail (1)",
        "Thanks for your mail (2)",
    ]
    assert sorted(
        InboundRecord.objects.filter(skipped="loop").values_list("external_id", flat=True)
    ) == [
        "pong3@x.example",
        "pong4@x.example",
    ]


def test_a_mail_with_only_a_subject_is_the_subject_and_an_empty_one_does_not_block(
    imap_server: ImapServer, mailbox_account: ChannelAccount
) -> None:
    only_subject = mails.plain("", subject="Withdrawal stuck!", message_id="<s1@x.example>")
    nothing = mails.plain("", subject="", message_id="<s2@x.example>")
    after = mails.plain("Still waiting", subject="Other", message_id="<s3@x.example>")

    assert receive(imap_server, mailbox_account, only_subject, nothing, after) == 2
    bodies = sorted(Message.objects.values_list("body", flat=True))
    assert bodies == ["Still waiting", "Withdrawal stuck!"]
    assert InboundRecord.objects.get(external_id="s2@x.example").skipped == "empty"
