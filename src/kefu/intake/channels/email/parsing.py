"""A raw RFC 5322 mail → what Kefu keeps of it, whatever the sender's mail program did.

Mail is hostile input: broken MIME boundaries, bad base64, charsets that are declared wrongly
or not at all (GBK sent as "gb2312", Big5 with Hong Kong characters, raw 8-bit headers), HTML
with scripts and tracking pixels. :func:`parse_mail` never raises: it reads what it can with
the standard parser (``policy.default``), falls back to the compat32 parser and finally to the
raw bytes as text. Headers and bodies are decoded here, not by the parser, so that every part
goes through the same charset rules (:func:`decode_bytes`).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import logging
import quopri
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import errors, policy
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

import nh3
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from kefu.intake.adapters import InboundAttachment, InboundMessage, Sender
from kefu.intake.channels.email.tokens import SUBJECT_TAG, TicketTag, tags_in

logger = logging.getLogger(__name__)
MAX_PARTS = 200
MAX_ATTACHMENTS = 50
MAX_HEADER_CHARS = 4000
MAX_REFERENCES = 30
MAX_HTML_CHARS = 1_000_000
HEADER_SCAN_BYTES = 256 * 1024
_BASE64_DEFECTS = (
    errors.InvalidBase64CharactersDefect,
    errors.InvalidBase64PaddingDefect,
    errors.InvalidBase64LengthDefect,
)

# Declared charsets read as their supersets: mail programs label GBK (and GB18030) text
# "gb2312", and Big5 text often carries HKSCS characters; Windows mail says ISO-8859-1 and
# sends windows-1252.
CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "chinese": "gb18030",
    "big5": "big5hkscs",
    "big-5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "csbig5": "big5hkscs",
    "cp950": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
}
# Labels that say nothing: the bytes are guessed as if no charset was declared.
UNINFORMATIVE_CHARSETS = {"", "us-ascii", "ascii", "unknown-8bit", "x-unknown", "unknown", "8bit"}
UNDECLARED_GUESSES = ("utf-8", "gb18030")
RECIPIENT_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "envelope-to")


@dataclass(frozen=True)
class ParsedMail:
    """What a mail says, decoded. Message-IDs are kept without their angle brackets."""

    external_id: str
    message_id: str
    from_address: str
    from_name: str
    subject: str
    text: str
    body: str
    html: str = ""
    attachments: tuple[InboundAttachment, ...] = ()
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    headers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    content_type: str = "text/plain"
    reported_message_ids: tuple[str, ...] = ()
    sent_at: datetime | None = None
    ticket_tags: tuple[TicketTag, ...] = ()
    # None when the mail has no Return-Path header; "" for the null sender "<>" of bounces.
    return_path: str | None = None

    def header(self, name: str) -> str:
        """The first value of a header, decoded ("" when absent)."""
        values = self.headers.get(name.lower(), ())
        return values[0] if values else ""

    @property
    def thread_keys(self) -> tuple[str, ...]:
        """The Message-IDs this mail answers, the one it replies to first, then its
        References newest first."""
        return tuple(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))

    @property
    def clean_subject(self) -> str:
        """The subject without reply and forward prefixes and without ticket tags."""
        return clean_subject(self.subject)


def to_inbound(mail: ParsedMail, *, conversation_id: int | None = None) -> InboundMessage:
    """The inbound message :func:`kefu.intake.ingest.ingest` stores for a mail."""
    email_address = mail.from_address if _is_valid_email(mail.from_address) else ""
    references = [*mail.references, *mail.in_reply_to[:1]]
    if mail.message_id:
        references.append(mail.message_id)
    references = list(dict.fromkeys(references))[-MAX_REFERENCES:]
    return InboundMessage(
        external_id=mail.external_id,
        sender=Sender(
            external_id=mail.from_address, name=mail.from_name[:120], email=email_address
        ),
        body=mail.body,
        thread_keys=mail.thread_keys,
        own_keys=(mail.message_id,) if mail.message_id else (),
        conversation_id=conversation_id,
        subject=mail.clean_subject,
        html=mail.html,
        attachments=mail.attachments,
        reply_address={
            "to": mail.from_address,
            "subject": mail.clean_subject,
            "message_id": mail.message_id,
            "references": references,
        },
        sent_at=mail.sent_at,
    )


def parse_mail(raw: bytes) -> ParsedMail:
    """Read a mail; never raises, whatever the bytes."""
    for mail_policy in (policy.default, policy.compat32):
        try:
            message = BytesParser(policy=mail_policy).parsebytes(raw)
            return _read(message, raw)
        # The standard library's parser has raised on hostile input over the years (deep
        # nesting, odd header syntax); the next, simpler reading is tried instead.
        except Exception:  # noqa: BLE001
            logger.info("could not parse a mail with %s; trying a simpler reading", mail_policy)
    try:
        # Its header at least, with the rest read as plain text (e.g. MIME nested too deep).
        message = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
        del message["Content-Type"]
        del message["Content-Transfer-Encoding"]
        return _read(message, raw)
    except Exception:  # noqa: BLE001
        logger.info("could not read a mail's header; keeping its bytes as text")
    text = decode_bytes(raw, None)
    return ParsedMail(
        external_id=raw_external_id(raw), message_id="", from_address="", from_name="",
        subject="", text=text, body=text,
    )  # fmt: skip


def raw_external_id(raw: bytes) -> str:
    """The id of a mail without a Message-ID: the hash of its bytes."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def peek_message_id(raw: bytes) -> str:
    """The Message-ID of a mail from its header alone (for mails too big to read)."""
    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:HEADER_SCAN_BYTES])
        ids = message_ids(decode_header_value(str(headers.get("Message-ID", ""))))
    except Exception:  # noqa: BLE001 - hostile header bytes; the hash identifies it instead
        ids = []
    return ids[0] if ids else ""


def _read(message: Message, raw: bytes) -> ParsedMail:
    headers = _headers(message)

    def first(name: str) -> str:
        values = headers.get(name, ())
        return values[0] if values else ""

    own_ids = message_ids(first("message-id"))
    message_id = own_ids[0] if own_ids else ""
    from_name, from_address = _address(first("from") or first("sender"))
    subject = " ".join(first("subject").split())
    recipients = tuple(
        address
        for name in RECIPIENT_HEADERS
        for value in headers.get(name, ())
        for _display, address in _addresses(value)
    )
    content = _Content()
    content.collect(message)
    text = content.text()
    return ParsedMail(
        external_id=message_id or raw_external_id(raw),
        message_id=message_id,
        from_address=from_address,
        from_name=from_name,
        subject=subject,
        text=text,
        body=strip_quoted(text),
        html=sanitise_html(content.html()),
        attachments=tuple(content.attachments),
        in_reply_to=tuple(message_ids(first("in-reply-to"))[:1]),
        references=tuple(message_ids(" ".join(headers.get("references", ())))[-MAX_REFERENCES:]),
        recipients=recipients,
        headers=headers,
        content_type=_content_type(message),
        reported_message_ids=tuple(content.reported_ids),
        sent_at=_date(first("date")),
        ticket_tags=tuple(tags_in(subject, list(recipients))),
        return_path=_return_path(headers),
    )


# --- headers -------------------------------------------------------------------------------------


def _headers(message: Message) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        found.setdefault(str(name).lower().strip(), []).append(decode_header_value(str(value)))
    return {name: tuple(values) for name, values in found.items()}


_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,40})\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n[ \t]*")
_BETWEEN_WORDS = re.compile(r"^[ \t]*$")


def decode_header_value(value: str) -> str:
    """A header's raw value → text: unfolded, RFC 2047 words decoded (adjacent words of one
    charset joined first, as GBK characters are often split across them), raw 8-bit bytes
    guessed like an undeclared body."""
    value = _FOLD.sub(" ", value)[:MAX_HEADER_CHARS]
    if any("\udc80" <= char <= "\udcff" for char in value):
        # The bytes parser keeps undecodable bytes as surrogates: get the bytes back.
        value = decode_bytes(value.encode("utf-8", "surrogateescape"), None)
    pieces: list[tuple[bytes, str] | str] = []
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        joins_words = pieces and isinstance(pieces[-1], tuple) and _BETWEEN_WORDS.match(between)
        if between and not joins_words:
            pieces.append(between)
        charset, encoding, payload = match.groups()
        charset = charset.split("*", 1)[0].lower()  # RFC 2231 language suffix
        data = _decode_word(encoding, payload)
        last = pieces[-1] if pieces else None
        if isinstance(last, tuple) and last[1] == charset:
            pieces[-1] = (last[0] + data, charset)
        else:
            pieces.append((data, charset))
        position = match.end()
    pieces.append(value[position:])
    return "".join(
        piece if isinstance(piece, str) else decode_bytes(piece[0], piece[1]) for piece in pieces
    ).strip()


def _decode_word(encoding: str, payload: str) -> bytes:
    if encoding.lower() == "b":
        padded = payload + "=" * (-len(payload) % 4)
        try:
            return base64.b64decode(padded)
        except (binascii.Error, ValueError):
            return payload.encode("ascii", "replace")
    return quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"), header=True)


def decode_bytes(data: bytes, declared: str | None) -> str:
    """Decode text in its declared charset (read as its superset); text whose declared
    charset is missing or says nothing is tried as UTF-8, then GB18030, then Latin-1."""
    name = (declared or "").strip().strip('"').lower()
    name = CHARSET_SUPERSETS.get(name, name)
    if name not in UNINFORMATIVE_CHARSETS and _known_codec(name):
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            # Mislabelled: a guess would turn the whole text into nonsense, so keep the
            # declared reading and mark only the bad bytes.
            return data.decode(name, errors="replace")
    for guess in UNDECLARED_GUESSES:
        try:
            return data.decode(guess)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


_MESSAGE_ID = re.compile(r"<([^<>\s]{1,250})>")


def message_ids(value: str) -> list[str]:
    """The Message-IDs in a header (``<a@b> <c@d>``), without their brackets."""
    found = _MESSAGE_ID.findall(value)
    if not found:
        bare = value.strip()
        if bare and "@" in bare and " " not in bare and len(bare) <= 250:
            found = [bare]
    return list(dict.fromkeys(found))


def _addresses(value: str) -> list[tuple[str, str]]:
    try:
        pairs = getaddresses([value])
    except (ValueError, IndexError, TypeError):
        return []
    return [(name.strip(), address.strip().lower()) for name, address in pairs if "@" in address]


def _address(value: str) -> tuple[str, str]:
    found = _addresses(value)
    if not found:
        return "", ""
    name, address = found[0]
    return name[:120], address[:254]


def _return_path(headers: dict[str, tuple[str, ...]]) -> str | None:
    values = headers.get("return-path", ())
    if not values:
        return None
    found = _addresses(values[0])
    return found[0][1] if found else ""


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        sent_at = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return sent_at if sent_at.tzinfo is not None else None


def _is_valid_email(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|sv|vs|wg|回复|回覆|答复|答覆|转发|轉寄|轉發)\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)


def clean_subject(subject: str) -> str:
    """``Re: 回复: Fwd: Deposit [#12-ab]`` → ``Deposit``."""
    subject = SUBJECT_TAG.sub("", subject)
    subject = _SUBJECT_PREFIX.sub("", subject)
    return " ".join(subject.split())


# --- bodies --------------------------------------------------------------------------------------


def _content_type(part: Message) -> str:
    try:
        return str(part.get_content_type()).lower()
    except Exception:  # noqa: BLE001 - a malformed Content-Type reads as plain text
        return "text/plain"


class _Content:
    """The texts, HTML and files of a mail's parts, collected in order."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.attachments: list[InboundAttachment] = []
        self.reported_ids: list[str] = []
        self.parts = 0

    def collect(self, message: Message) -> None:
        for part in message.walk():
            self.parts += 1
            if self.parts > MAX_PARTS:
                logger.info("a mail has more than %d parts; the rest are ignored", MAX_PARTS)
                return
            self._part(part)

    def _part(self, part: Message) -> None:
        content_type = _content_type(part)
        if content_type == "text/rfc822-headers":
            self._reported(part)
            return
        if part.is_multipart():
            if content_type == "message/rfc822" and self.parts > 1:
                self._reported(part)
            return
        payload = _payload(part)
        disposition = _disposition(part)
        name = _filename(part)
        content_id = _content_id(part)
        is_text = content_type in ("text/plain", "text/html")
        if disposition == "attachment" or (not is_text) or (name and disposition != "inline"):
            if payload and len(self.attachments) < MAX_ATTACHMENTS:
                self.attachments.append(
                    InboundAttachment(
                        name=name or _default_name(content_type),
                        data=payload,
                        content_type=content_type,
                        content_id=content_id,
                    )
                )
            return
        text = _part_text(part, payload)
        if content_type == "text/html":
            self.htmls.append(text)
        else:
            self.texts.append(text)

    def _reported(self, part: Message) -> None:
        """The Message-ID of the mail a delivery report is about."""
        try:
            if part.is_multipart():
                inner = part.get_payload()
                source = inner[0] if isinstance(inner, list) and inner else None
                value = str(source.get("Message-ID", "")) if isinstance(source, Message) else ""
            else:
                headers = BytesHeaderParser(policy=policy.compat32).parsebytes(_payload(part))
                value = str(headers.get("Message-ID", ""))
        except Exception:  # noqa: BLE001 - a broken report names nothing
            return
        self.reported_ids += message_ids(decode_header_value(value))

    def text(self) -> str:
        text = "\n\n".join(piece.strip() for piece in self.texts if piece.strip())
        if not text and self.htmls:
            text = html_to_text(self.html())
        return _normalise_newlines(text).strip()

    def html(self) -> str:
        return "\n".join(self.htmls)[:MAX_HTML_CHARS]


def _payload(part: Message, *, decode: bool = True) -> bytes:
    try:
        payload: Any = part.get_payload(decode=True) if decode else part.get_payload()
    except Exception:  # noqa: BLE001 - bad base64 or quoted-printable: keep the raw text
        payload = part.get_payload(decode=False)
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _part_text(part: Message, payload: bytes) -> str:
    """A text part's text; when its base64 is broken and what it decodes to is no text in
    any charset, the undecoded text is more use to a reader than mojibake."""
    charset = _charset(part)
    broken = any(isinstance(defect, _BASE64_DEFECTS) for defect in getattr(part, "defects", ()))
    if broken and not _decodes_cleanly(payload, charset):
        return decode_bytes(_payload(part, decode=False), charset)
    return decode_bytes(payload, charset)


def _decodes_cleanly(data: bytes, charset: str | None) -> bool:
    name = CHARSET_SUPERSETS.get((charset or "").lower(), (charset or "").lower())
    for candidate in (name, "utf-8"):
        if candidate and _known_codec(candidate):
            try:
                data.decode(candidate)
            except UnicodeDecodeError:
                continue
            return True
    return False


def _charset(part: Message) -> str | None:
    try:
        charset = part.get_param("charset")
    except Exception:  # noqa: BLE001 - a malformed parameter is no charset
        return None
    if isinstance(charset, tuple):  # RFC 2231: (charset, language, value)
        charset = charset[2]
    return str(charset) if charset else None


def _disposition(part: Message) -> str:
    try:
        return str(part.get_content_disposition() or "")
    except Exception:  # noqa: BLE001
        return ""


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001 - a malformed name parameter: the file keeps a default
        name = ""
    return decode_header_value(str(name))[:150] if name else ""


def _content_id(part: Message) -> str:
    values = message_ids(decode_header_value(str(part.get("Content-ID", "") or "")))
    return values[0] if values else ""


def _default_name(content_type: str) -> str:
    return {
        "image/png": "image.png",
        "image/jpeg": "image.jpg",
        "image/gif": "image.gif",
        "application/pdf": "document.pdf",
        "message/rfc822": "message.eml",
    }.get(content_type, "attachment")


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- HTML ----------------------------------------------------------------------------------------

SAFE_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "font", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
SAFE_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Images load only from the mail itself (cid:): a remote image is a tracking pixel.
    if tag == "img" and attribute == "src":
        return value if value.strip().lower().startswith("cid:") else None
    if attribute == "href" and value.strip().lower().startswith("cid:"):
        return None
    return value


def sanitise_html(html: str) -> str:
    """An email's HTML reduced to safe markup: no scripts, styles, event handlers, forms or
    remote images (inline ``cid:`` images are kept)."""
    if not html.strip():
        return ""
    cleaned = nh3.clean(
        html,
        tags=SAFE_TAGS,
        clean_content_tags={"script", "style", "title", "head", "noscript", "template"},
        attributes=SAFE_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
    )
    return str(cleaned).strip()


class _TextExtractor(HTMLParser):
    BLOCKS = {
        "p", "div", "br", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "blockquote", "pre", "ul", "ol", "li",
    }  # fmt: skip
    HIDDEN = {"script", "style", "head", "title", "noscript", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.pieces.append("\n")
            if tag == "li":
                self.pieces.append("• ")
        elif tag in ("td", "th"):
            self.pieces.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.pieces.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """The readable text of some HTML: blocks on their own lines, scripts and styles dropped."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except (AssertionError, ValueError):  # HTMLParser on some broken markup
        pass
    lines = [line.strip() for line in "".join(extractor.pieces).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- quoted history ------------------------------------------------------------------------------

_QUOTE_INTRODUCTIONS = (
    re.compile(r"^\s*On\b.{0,300}\bwrote\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*在.{0,300}(写道|寫道)\s*[:：]?\s*$"),
    re.compile(
        r"^\s*-{2,}\s*(Original Message|原始邮件|原始郵件|原始信件)\s*-{2,}\s*$", re.IGNORECASE
    ),
    re.compile(r"^\s*_{20,}\s*$"),
)
_SPLIT_ON = re.compile(r"^\s*On\b.{0,250}$", re.IGNORECASE)
_SPLIT_WROTE = re.compile(r"^.{0,120}\bwrote\s*:\s*$", re.IGNORECASE)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(From|发件人|寄件者|寄件人)\s*\*?\s*[:：]", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(Sent|Date|To|Subject|发送时间|日期|收件人|主题|寄件日期|傳送時間|主旨)\s*\*?\s*[:：]",
    re.IGNORECASE,
)


def strip_quoted(text: str) -> str:
    """The new part of a reply: the text before the quoted history ("On … wrote:",
    "在 … 写道：", an Outlook "From:/Sent:" block, trailing "> " lines). The whole text when
    nothing would be left."""
    lines = text.split("\n")
    cut = _quote_start(lines)
    if cut is None:
        return text
    kept = "\n".join(lines[:cut]).rstrip()
    return kept if kept.strip() else text


def _quote_start(lines: list[str]) -> int | None:
    trailing = _trailing_quote_start(lines)
    for index, line in enumerate(lines):
        if any(pattern.match(line) for pattern in _QUOTE_INTRODUCTIONS):
            return index
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _SPLIT_ON.match(line) and _SPLIT_WROTE.match(following):
            return index
        if _OUTLOOK_FROM.match(line) and any(
            _OUTLOOK_NEXT.match(candidate) for candidate in lines[index + 1 : index + 4]
        ):
            return index
        if index == trailing:
            return index
    return None


def _trailing_quote_start(lines: list[str]) -> int | None:
    """Where the block of "> " lines (and blank lines) that ends the text starts."""
    start = None
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if line.startswith(">"):
            start = index
        elif line.strip():
            break
    return start
