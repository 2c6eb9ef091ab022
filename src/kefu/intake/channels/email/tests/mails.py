"""Mails as customers' mail programs (and auto-responders, and mail servers) send them."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

SUPPORT_ADDRESS = "support@novaex.test"
# A 1x1 PNG: an allowed attachment type, by its bytes.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def plain(
    body: str,
    *,
    sender: str = "Alice Wang <alice@example.com>",
    subject: str = "My USDT deposit has not arrived",
    message_id: str = "<m1@mail.example.com>",
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
    to: str = SUPPORT_ADDRESS,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.now())
    if message_id:
        mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = references
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    return mail.as_bytes()


def encoded(
    body: str,
    charset: str,
    *,
    subject: str,
    sender: str = "customer@example.cn",
    message_id: str = "<cjk@mail.example.cn>",
    declared: str | None = None,
) -> bytes:
    """A mail whose subject (RFC 2047) and body are in ``charset``, labelled ``declared``."""
    label = declared or charset
    # Written by hand: the standard library cannot encode GBK text under the label gb2312.
    word = base64.b64encode(subject.encode(charset)).decode("ascii")
    subject_header = f"=?{label}?b?{word}?="
    head = (
        f"From: {sender}\r\nTo: {SUPPORT_ADDRESS}\r\nSubject: {subject_header}\r\n"
        f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset={label}\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    )
    payload = base64.encodebytes(body.encode(charset)).decode("ascii")
    return (head + payload).encode("ascii")


def html_only(html: str, *, message_id: str = "<html@mail.example.com>") -> bytes:
    mail = EmailMessage()
    mail["From"] = "bob@example.com"
    mail["To"] = SUPPORT_ADDRESS
    mail["Subject"] = "Withdrawal stuck"
    mail["Message-ID"] = message_id
    mail.set_content(html, subtype="html")
    return mail.as_bytes()


def with_files(*, message_id: str = "<files@mail.example.com>") -> bytes:
    """HTML with an inline image (cid:) and a PDF attached, and a text alternative."""
    mail = EmailMessage()
    mail["From"] = "carol@example.com"
    mail["To"] = SUPPORT_ADDRESS
    mail["Subject"] = "Screenshot of the error"
    mail["Message-ID"] = message_id
    mail.set_content("See the screenshot and my statement.")
    mail.add_alternative(
        '<p>See the screenshot:</p><img src="cid:shot@example.com" alt="error">', subtype="html"
    )
    html_part = mail.get_body(("html",))
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(PNG, "image", "png", cid="<shot@example.com>")
    mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="statement.pdf")
    return mail.as_bytes()


def delivery_report(original_message_id: str, *, message_id: str = "<dsn@mx.example.com>") -> bytes:
    """A bounce (RFC 3464 DSN) of one of Kefu's mails."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
        f"To: {SUPPORT_ADDRESS}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {SUPPORT_ADDRESS}\r\nTo: gone@example.com\r\n"
        f"Message-ID: <{original_message_id}>\r\nSubject: Re: Hello\r\n"
        "\r\n--B--\r\n"
    ).encode("ascii")
