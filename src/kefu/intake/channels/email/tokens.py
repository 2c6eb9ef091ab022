"""The ticket tag Kefu puts in the subject of the mails it sends ("[#123-3f9c0a1b2d]") and in
their plus-address ("support+123-3f9c0a1b2d@…"), so a reply finds its conversation even when the
customer's mail program dropped In-Reply-To and References.

The token is an HMAC of the conversation's number under SECRET_KEY: a tag typed by someone else
("[#123]", or a number with a made-up token) does not verify and attaches nothing. The loop mark
(``X-Kefu-Loop``) is signed the same way, so only this installation's own mails count as loops.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings

TOKEN_CHARS = 10
LOOP_HEADER = "X-Kefu-Loop"
TICKET_HEADER = "X-Kefu-Ticket"
# "[#123-3f9c0a1b2d]" in a subject; the token part may be missing (then nothing verifies).
SUBJECT_TAG = re.compile(r"\[#(\d{1,12})(?:-([0-9a-f]{1,40}))?\]", re.IGNORECASE)
# "support+123-3f9c0a1b2d@example.com"
ADDRESS_TAG = re.compile(r"^[^@+\s]+\+(\d{1,12})-([0-9a-f]{1,40})@", re.IGNORECASE)


@dataclass(frozen=True)
class TicketTag:
    """A conversation number and the token that came with it, not yet verified."""

    number: int
    token: str

    @property
    def is_valid(self) -> bool:
        return hmac.compare_digest(self.token.lower(), ticket_token(self.number))


def _sign(purpose: str, value: str) -> str:
    key = hashlib.sha256(f"kefu.email.{purpose}:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def ticket_token(number: int) -> str:
    """The token that proves a tag for conversation ``number`` was written by Kefu."""
    return _sign("ticket", str(number))[:TOKEN_CHARS]


def ticket_tag(number: int) -> str:
    """The tag for the subject: ``[#123-3f9c0a1b2d]``."""
    return f"[#{number}-{ticket_token(number)}]"


def plus_address(address: str, number: int) -> str:
    """``support@example.com`` → ``support+123-<token>@example.com`` (for Reply-To)."""
    local, at, domain = address.partition("@")
    if not at:
        return address
    return f"{local}+{number}-{ticket_token(number)}@{domain}"


def base_address(address: str) -> str:
    """An address without its plus tag, lower-cased: what an account's ``address`` matches."""
    local, at, domain = address.strip().lower().partition("@")
    return f"{local.split('+', 1)[0]}{at}{domain}"


def tags_in(subject: str, recipients: list[str]) -> list[TicketTag]:
    """Every ticket tag in a subject and in the recipients' plus-addresses, in that order."""
    found = [
        TicketTag(int(match.group(1)), match.group(2) or "")
        for match in SUBJECT_TAG.finditer(subject)
    ]
    for recipient in recipients:
        match = ADDRESS_TAG.match(recipient.strip())
        if match:
            found.append(TicketTag(int(match.group(1)), match.group(2)))
    return found


def loop_mark(account_id: int) -> str:
    """The ``X-Kefu-Loop`` value of an account's outbound mails."""
    return f"{account_id}.{_sign('loop', str(account_id))[:16]}"


def is_own_loop_mark(value: str) -> bool:
    """Whether an ``X-Kefu-Loop`` value was written by this installation (any account)."""
    account_id, dot, signature = value.strip().partition(".")
    if not dot or not account_id.isdigit() or len(account_id) > 12:
        return False
    return hmac.compare_digest(signature.lower(), _sign("loop", account_id)[:16])
