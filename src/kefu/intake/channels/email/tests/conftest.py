"""Real mail servers on loopback for the email channel's tests: an IMAP server (pymap, a
pure-Python IMAP4rev1 server, in a child process) holding the support mailbox, and an SMTP
server (aiosmtpd) that takes Kefu's outgoing mail."""

from __future__ import annotations

import email
import imaplib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kefu.intake.channels.email.tests.mails import SUPPORT_ADDRESS
from kefu.intake.models import ChannelAccount

IMAP_USER = "support"
IMAP_PASSWORD = "mailbox secret"
PYMAP = Path(sys.executable).with_name("pymap")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, *, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


class ImapServer:
    """A pymap server in a child process, with an in-memory mailbox for one user."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [
                str(PYMAP),
                "--host", "127.0.0.1",
                "--port", str(self.port),
                "--no-tls",
                "--no-service", "admin",
                "dict",
                "--demo-user", IMAP_USER,
                "--demo-password", IMAP_PASSWORD,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port)

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(IMAP_USER, IMAP_PASSWORD)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put a mail into the mailbox, as the exchange's mail server would."""
        client = self.client()
        try:
            result = client.append(folder, "", "", raw)
            assert result[0] == "OK"
        finally:
            client.logout()

    def create(self, folder: str) -> None:
        client = self.client()
        try:
            client.create(folder)
        finally:
            client.logout()

    def recreate(self, folder: str) -> None:
        """Delete and create the folder again: it gets a new UIDVALIDITY."""
        client = self.client()
        try:
            client.delete(folder)
            client.create(folder)
        finally:
            client.logout()

    def seen_uids(self, folder: str = "INBOX") -> list[int]:
        client = self.client()
        try:
            client.select(folder)
            _status, data = client.uid("SEARCH", "SEEN")
            return [int(value) for value in data[0].split()]
        finally:
            client.logout()

    def pause(self) -> None:
        """Freeze the server: connections open but nothing answers (a hung mail server)."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        self.resume()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def imap_server() -> Iterator[ImapServer]:
    server = ImapServer()
    yield server
    server.stop()


@dataclass
class SentMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        message = email.message_from_bytes(self.raw, policy=default_policy)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class SmtpSink:
    """What the test SMTP server received, and how it answers recipients."""

    port: int = 0
    received: list[SentMail] = field(default_factory=list)
    # recipient address → the reply to RCPT TO (e.g. "550 5.1.1 no such user")
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            SentMail(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


def account_config(imap: ImapServer | None, sink: SmtpSink | None, **extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"address": SUPPORT_ADDRESS, "timeout_seconds": 5}
    if imap is not None:
        config |= {
            "imap_host": "127.0.0.1",
            "imap_port": imap.port,
            "imap_ssl": False,
            "imap_username": IMAP_USER,
            "imap_password": IMAP_PASSWORD,
        }
    if sink is not None:
        config |= {"smtp_host": "127.0.0.1", "smtp_port": sink.port, "smtp_security": "none"}
    return config | extra


@pytest.fixture
def mailbox_account(db: None, imap_server: ImapServer, smtp_sink: SmtpSink) -> ChannelAccount:
    """The exchange's support mailbox: read over IMAP, replies sent over SMTP."""
    return ChannelAccount.objects.create(
        kind="email", name="Support", config=account_config(imap_server, smtp_sink)
    )
