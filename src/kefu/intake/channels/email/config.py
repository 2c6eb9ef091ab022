"""The settings of an email account, read from its ``config`` (see docs/channels/email.md)."""

from __future__ import annotations

from dataclasses import dataclass

from kefu.intake.models import ChannelAccount

DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 30
SMTP_SECURITY = ("ssl", "starttls", "none")


@dataclass(frozen=True)
class EmailConfig:
    """An email account's mailbox (IMAP), its outgoing server (SMTP) and its address."""

    address: str
    imap_host: str = ""
    imap_port: int = 993
    imap_ssl: bool = True
    imap_username: str = ""
    imap_password: str = ""
    imap_folder: str = "INBOX"
    imap_mark_seen: bool = False
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    plus_addressing: bool = False

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2] or "kefu.localhost"


def email_config(account: ChannelAccount) -> EmailConfig:
    """Read an account's config; missing or malformed values take their defaults."""
    config = account.config if isinstance(account.config, dict) else {}
    imap_ssl = _flag(config.get("imap_ssl"), True)
    security = str(config.get("smtp_security") or "starttls").lower()
    if security not in SMTP_SECURITY:
        security = "starttls"
    return EmailConfig(
        address=str(config.get("address") or "").strip().lower(),
        imap_host=str(config.get("imap_host") or ""),
        imap_port=positive_number(config.get("imap_port"), 993 if imap_ssl else 143),
        imap_ssl=imap_ssl,
        imap_username=str(config.get("imap_username") or ""),
        imap_password=str(config.get("imap_password") or ""),
        imap_folder=str(config.get("imap_folder") or "INBOX"),
        imap_mark_seen=_flag(config.get("imap_mark_seen"), False),
        smtp_host=str(config.get("smtp_host") or ""),
        smtp_port=positive_number(
            config.get("smtp_port"), {"ssl": 465, "none": 25}.get(security, 587)
        ),
        smtp_security=security,
        smtp_username=str(config.get("smtp_username") or ""),
        smtp_password=str(config.get("smtp_password") or ""),
        max_message_bytes=positive_number(
            config.get("max_message_bytes"), DEFAULT_MAX_MESSAGE_BYTES
        ),
        timeout_seconds=positive_number(config.get("timeout_seconds"), DEFAULT_TIMEOUT_SECONDS),
        plus_addressing=_flag(config.get("plus_addressing"), False),
    )


def _flag(value: object, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        return value.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(value, int):
        return value != 0
    return default


def positive_number(value: object, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return int(value)
    return default
