"""The one client of the exchange's IMAP mailbox (standard library ``imaplib``, always with a
timeout). Every failure comes out as :class:`MailboxError` with a message fit for the account's
health line; passwords never appear in it."""

from __future__ import annotations

import contextlib
import imaplib
import re
import socket
import ssl
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from kefu.intake.channels.email.config import EmailConfig

T = TypeVar("T")
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class MailboxError(Exception):
    """The mailbox could not be read: unreachable, refused the login, or answered nonsense."""


class Mailbox:
    """An open IMAP session on the account's folder; use as a context manager."""

    def __init__(self, config: EmailConfig) -> None:
        self.config = config
        self.connection: imaplib.IMAP4 | None = None
        self.uid_validity = 0

    def __enter__(self) -> Mailbox:
        config = self.config
        if not config.imap_host:
            raise MailboxError("no IMAP server is configured (imap_host)")
        where = f"{config.imap_host}:{config.imap_port}"
        try:
            if config.imap_ssl:
                self.connection = imaplib.IMAP4_SSL(
                    config.imap_host,
                    config.imap_port,
                    ssl_context=ssl.create_default_context(),
                    timeout=config.timeout_seconds,
                )
            else:
                self.connection = imaplib.IMAP4(
                    config.imap_host, config.imap_port, timeout=config.timeout_seconds
                )
        except (OSError, imaplib.IMAP4.error) as error:
            raise MailboxError(f"cannot reach the IMAP server {where}: {_reason(error)}") from None
        try:
            self.connection.login(config.imap_username, config.imap_password)
        except imaplib.IMAP4.error:
            self._close()
            raise MailboxError(f"the IMAP server {where} refused the login") from None
        except OSError as error:
            self._close()
            raise MailboxError(f"IMAP login to {where} failed: {_reason(error)}") from None
        self.uid_validity = self._select()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                self.connection.logout()
        self._close()

    def _close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError):
                self.connection.shutdown()
            self.connection = None

    def _select(self) -> int:
        folder = self.config.imap_folder
        readonly = not self.config.imap_mark_seen
        status, _data = self._call(lambda imap: imap.select(_quoted(folder), readonly=readonly))
        if status != "OK":
            raise MailboxError(f"the IMAP folder {folder!r} cannot be opened")
        _name, values = self._call(lambda imap: imap.response("UIDVALIDITY"))
        try:
            return int(values[0]) if values and values[0] else 0
        except (TypeError, ValueError):
            return 0

    def uids_after(self, last_uid: int) -> list[int]:
        """The UIDs in the folder greater than ``last_uid``, ascending."""
        status, data = self._call(lambda imap: imap.uid("SEARCH", "UID", f"{last_uid + 1}:*"))
        if status != "OK":
            raise MailboxError("the IMAP server refused to list new mail")
        uids = {int(value) for chunk in data if chunk for value in bytes(chunk).split()}
        # "n:*" always matches the newest message, even when its UID is below n.
        return sorted(uid for uid in uids if uid > last_uid)

    def sizes(self, uids: list[int]) -> dict[int, int]:
        """The size in bytes of each message."""
        found: dict[int, int] = {}
        for item in self._fetch(uids, "(UID RFC822.SIZE)"):
            head = item[0] if isinstance(item, tuple) else item
            uid, size = _UID.search(head), _SIZE.search(head)
            if uid and size:
                found[int(uid.group(1))] = int(size.group(1))
        return found

    def messages(self, uids: list[int]) -> dict[int, bytes]:
        """The raw bytes of each message, without marking it read."""
        return self._literals(uids, "(UID BODY.PEEK[])")

    def headers(self, uids: list[int]) -> dict[int, bytes]:
        """The raw header of each message, without marking it read."""
        return self._literals(uids, "(UID BODY.PEEK[HEADER])")

    def _literals(self, uids: list[int], what: str) -> dict[int, bytes]:
        found: dict[int, bytes] = {}
        for item in self._fetch(uids, what):
            if isinstance(item, tuple) and len(item) >= 2:
                uid = _UID.search(item[0])
                if uid:
                    found[int(uid.group(1))] = bytes(item[1])
        return found

    def mark_seen(self, uids: list[int]) -> None:
        if uids and self.config.imap_mark_seen:
            self._call(lambda imap: imap.uid("STORE", _uid_set(uids), "+FLAGS", r"(\Seen)"))

    def _fetch(self, uids: list[int], what: str) -> list[bytes | tuple[bytes, bytes]]:
        if not uids:
            return []
        status, data = self._call(lambda imap: imap.uid("FETCH", _uid_set(uids), what))
        if status != "OK":
            raise MailboxError("the IMAP server refused to send mail")
        return [item for item in data if item is not None]

    def _call(self, command: Callable[[imaplib.IMAP4], T]) -> T:
        if self.connection is None:
            raise MailboxError("the IMAP session is closed")
        try:
            return command(self.connection)
        except (OSError, imaplib.IMAP4.error) as error:
            self._close()
            raise MailboxError(f"the IMAP session failed: {_reason(error)}") from None


def _uid_set(uids: list[int]) -> str:
    return ",".join(str(uid) for uid in uids)


def _quoted(folder: str) -> str:
    escaped = folder.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _reason(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(error, ssl.SSLError):
        return f"TLS error ({error.reason or error})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)[:200] or type(error).__name__
