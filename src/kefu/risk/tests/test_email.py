"""The customer's warning is mailed for real: through Django's SMTP backend to a real SMTP
server the test starts."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kefu.conversations import services as conversations
from kefu.risk.models import ActionKind, ActionStatus, EventSource, RiskAction
from kefu.risk.services import ingest_events
from kefu.risk.tests.factories import SCAM_ETH, event, load_sample_lists

pytestmark = pytest.mark.django_db


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                email.message_from_bytes(envelope.content),
            )
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(settings: Any) -> Iterator[Mailbox]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield mailbox
    controller.stop()


def test_the_warning_reaches_a_real_smtp_server_in_the_customer_s_language(smtp: Mailbox) -> None:
    load_sample_lists()
    conversations.identify_customer(
        external_id="u-88", name="李雷", email="lilei@example.com", language="zh"
    )

    ingest_events(
        [
            event(
                "withdrawal_requested",
                "w-1",
                user_id="u-88",
                asset="ETH",
                network="ETH",
                address=SCAM_ETH,
                amount="1.5",
            )
        ],
        source=EventSource.API,
    )

    assert len(smtp.messages) == 1
    _sender, recipients, message = smtp.messages[0]
    assert recipients == ["lilei@example.com"]
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    text = body.decode("utf-8")
    assert "诈骗" in text and "冻结账户" in text
    row = RiskAction.objects.get(action=ActionKind.NOTIFY_CUSTOMER)
    assert (row.status, row.detail) == (ActionStatus.DONE, "lilei@example.com")


def test_an_smtp_server_that_is_down_is_a_failed_action(settings: Any) -> None:
    load_sample_lists()
    conversations.identify_customer(external_id="u-89", email="x@example.com")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    ingest_events(
        [
            event(
                "withdrawal_requested",
                "w-2",
                user_id="u-89",
                asset="ETH",
                network="ETH",
                address=SCAM_ETH,
                amount="1.5",
            )
        ],
        source=EventSource.API,
    )

    row = RiskAction.objects.get(action=ActionKind.NOTIFY_CUSTOMER)
    assert row.status == ActionStatus.FAILED
