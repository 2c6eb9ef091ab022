"""Reading hostile and odd mail: charsets, quoted history, subjects, HTML, broken MIME."""

from __future__ import annotations

import base64

import pytest

from kefu.intake.channels.email.parsing import (
    clean_subject,
    decode_header_value,
    parse_mail,
    sanitise_html,
    strip_quoted,
)
from kefu.intake.channels.email.tests import mails


@pytest.mark.parametrize(
    "text",
    [
        "Thanks!\n\nOn Mon, 1 Jan 2024 at 10:00, Support <support@novaex.test> wrote:\n> Hi",
        "Thanks!\n\nOn Mon, 1 Jan 2024 at 10:00, Support Team\n<support@novaex.test> wrote:\n> Hi",
        "Thanks!\n\n在 2024年1月1日 10:00，客服 <support@novaex.test> 写道：\n> 您好",
        "Thanks!\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nHi",
        "Thanks!\n\nFrom: Support <support@novaex.test>\nSent: Monday, 1 January\nTo: me\n\nHi",
        "Thanks!\n\n发件人: 客服 <support@novaex.test>\n发送时间: 2024年1月1日\n收件人: 我\n\n您好",
        "Thanks!\n\n> Hi\n> How can we help?\n",
    ],
    ids=["gmail", "gmail-wrapped", "chinese", "outlook-original", "outlook", "outlook-zh", "quote"],
)
def test_quoted_history_is_left_out(text: str) -> None:
    assert strip_quoted(text) == "Thanks!"


def test_text_that_is_only_a_quote_is_kept_whole() -> None:
    text = "> Hi\n> How can we help?"

    assert strip_quoted(text) == text


def test_inline_answers_between_quotes_are_kept() -> None:
    text = "> What is your TXID?\n0xabc\n> And the amount?\n500 USDT"

    assert strip_quoted(text) == text


@pytest.mark.parametrize(
    ("subject", "cleaned"),
    [
        ("Re: Re: Deposit", "Deposit"),
        ("回复: 答复：Deposit", "Deposit"),
        ("Fwd: RE: Deposit [#12-0123456789]", "Deposit"),
        ("AW: Deposit", "Deposit"),
        ("Regarding my deposit", "Regarding my deposit"),
    ],
)
def test_reply_prefixes_and_ticket_tags_are_removed_from_subjects(
    subject: str, cleaned: str
) -> None:
    assert clean_subject(subject) == cleaned


def test_an_encoded_word_split_inside_a_gbk_character_is_joined() -> None:
    data = "提款".encode("gbk")
    first, second = base64.b64encode(data[:3]).decode(), base64.b64encode(data[3:]).decode()

    assert decode_header_value(f"=?gbk?b?{first}?= =?gbk?b?{second}?= [#1]") == "提款 [#1]"


def test_undeclared_eight_bit_text_is_guessed() -> None:
    gb18030 = "From: x@example.com\r\nSubject: 充值\r\n\r\n我的充值没有到账\r\n".encode("gb18030")
    utf8 = "From: x@example.com\r\nSubject: 充值\r\n\r\n我的充值没有到账\r\n".encode()
    latin = b"From: x@example.com\r\nSubject: caf\xe9\r\n\r\nd\xe9p\xf4t \xff\r\n"

    assert (parse_mail(gb18030).subject, parse_mail(gb18030).body) == ("充值", "我的充值没有到账")
    assert (parse_mail(utf8).subject, parse_mail(utf8).body) == ("充值", "我的充值没有到账")
    assert parse_mail(latin).body == "dépôt ÿ"


def test_an_unknown_declared_charset_is_guessed_and_a_wrong_one_keeps_its_reading() -> None:
    unknown = mails.encoded("提款", "utf-8", declared="x-made-up", subject="提款")
    wrong = b"From: x@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nok \xff ok\r\n"

    assert parse_mail(unknown).body == "提款"
    assert parse_mail(wrong).body == "ok \ufffd ok"


def test_threading_headers_and_sender() -> None:
    raw = mails.plain(
        "Hi",
        sender='"Wang, Alice" <Alice@Example.COM>',
        message_id="<own@example.com>",
        in_reply_to="<b@kefu>",
        references="<a@kefu>  <b@kefu>",
    )

    mail = parse_mail(raw)

    assert (mail.from_name, mail.from_address) == ("Wang, Alice", "alice@example.com")
    assert mail.message_id == "own@example.com"
    assert mail.thread_keys == ("b@kefu", "a@kefu")


def test_a_mail_without_message_id_is_known_by_the_hash_of_its_bytes() -> None:
    raw = mails.plain("Hi", message_id="")

    assert parse_mail(raw).external_id == parse_mail(raw).external_id
    assert parse_mail(raw).external_id.startswith("sha256:")


def test_html_keeps_only_safe_markup_and_inline_images() -> None:
    html = (
        '<div style="x" onmouseover="steal()"><a href="https://novaex.test/help">help</a>'
        '<a href="javascript:steal()">bad</a><img src="cid:logo@x"><img src="http://t.example/p">'
        "<form><input name=password></form><iframe src=https://evil.example></iframe></div>"
    )

    assert sanitise_html(html) == (
        '<div><a href="https://novaex.test/help" rel="noopener noreferrer nofollow">help</a>'
        '<a rel="noopener noreferrer nofollow">bad</a><img src="cid:logo@x"><img></div>'
    )


def test_deeply_nested_mime_does_not_crash() -> None:
    depth = 3000
    head = b"From: x@example.com\r\nSubject: nest\r\n"
    parts = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level)
        for level in range(depth)
    )

    mail = parse_mail(head + parts + b"Content-Type: text/plain\r\n\r\ndeep\r\n")

    assert (mail.from_address, mail.subject) == ("x@example.com", "nest")
    assert mail.body.endswith("deep")


def test_a_long_mail_of_interleaved_quotes_is_read_in_one_pass() -> None:
    # Checking "is the rest all quoted?" at every quoted line would take hours here.
    body = "\n".join(("> " if number % 2 else "") + f"line {number}" for number in range(200_001))

    mail = parse_mail(mails.plain(body))

    assert mail.body == body
