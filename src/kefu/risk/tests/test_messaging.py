"""SMS and push warnings through a local server that speaks the messaging gateway's protocol."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kefu.conversations import services as conversations
from kefu.lib import messaging
from kefu.risk.models import ActionKind, ActionStatus, EventSource, RiskAction
from kefu.risk.services import ingest_events
from kefu.risk.tests.factories import OFAC_ETH, SCAM_ETH, event, load_sample_lists

pytestmark = pytest.mark.django_db
SECRET = "gateway-secret"


class Gateway:
    """Records what it was sent; answers ``status`` (and a message id when 2xx)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.status = 200
        self.bad_signatures = 0


@pytest.fixture
def gateway(settings: Any) -> Iterator[Gateway]:
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parts = dict(
                p.split("=", 1) for p in self.headers.get("X-Kefu-Signature", "").split(",")
            )
            expected = hmac.new(
                SECRET.encode(), parts.get("t", "").encode() + b"." + body, hashlib.sha256
            ).hexdigest()
            if not hmac.compare_digest(expected, parts.get("v1", "")):
                state.bad_signatures += 1
                self.send_response(401)
                self.end_headers()
                return
            state.received.append((self.path, json.loads(body)))
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"id": f"m-{len(state.received)}"}).encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.SMS_URL, settings.PUSH_URL = f"{base}/sms", f"{base}/push"
    settings.MESSAGING_SECRET = SECRET
    yield state
    server.shutdown()
    server.server_close()


def scam_withdrawal(event_id: str = "w-1") -> dict[str, Any]:
    return event(
        "withdrawal_requested",
        event_id,
        user_id="u-77",
        asset="ETH",
        network="ETH",
        address=SCAM_ETH,
        amount="1.5",
    )


def test_a_warning_goes_by_sms_and_push_in_the_customer_s_language(gateway: Gateway) -> None:
    load_sample_lists()
    conversations.identify_customer(external_id="u-77", name="王", language="zh")

    ingest_events([scam_withdrawal()], source=EventSource.API)

    assert gateway.bad_signatures == 0
    assert [path for path, _body in gateway.received] == ["/sms", "/push"]
    sms, push = (body for _path, body in gateway.received)
    assert sms["user_id"] == "u-77" and "诈骗" in sms["text"] and len(sms["text"]) <= 300
    assert push["user_id"] == "u-77" and "冻结" in push["text"] and push["title"]
    rows = {
        row.target.partition(":")[0]: row
        for row in RiskAction.objects.filter(action=ActionKind.NOTIFY_CUSTOMER)
    }
    assert (rows["sms"].status, rows["sms"].detail) == (ActionStatus.DONE, "m-1")
    assert (rows["push"].status, rows["push"].detail) == (ActionStatus.DONE, "m-2")


def test_a_failing_gateway_is_recorded_and_the_rest_still_happens(gateway: Gateway) -> None:
    load_sample_lists()
    gateway.status = 503

    ingest_events([scam_withdrawal()], source=EventSource.API)

    rows = {
        row.target.partition(":")[0]: row
        for row in RiskAction.objects.filter(action=ActionKind.NOTIFY_CUSTOMER)
    }
    assert rows["sms"].status == ActionStatus.FAILED
    assert rows["sms"].detail == "retryable: gateway error 503"
    assert rows["push"].status == ActionStatus.FAILED


def test_sanctions_are_not_disclosed_by_sms_either(gateway: Gateway) -> None:
    load_sample_lists()
    ingest_events(
        [
            event(
                "withdrawal_requested",
                "w-9",
                user_id="u-78",
                asset="ETH",
                network="ETH",
                address=OFAC_ETH,
                amount="2",
            )
        ],
        source=EventSource.API,
    )
    assert gateway.received == []
    assert set(
        RiskAction.objects.filter(action=ActionKind.NOTIFY_CUSTOMER).values_list(
            "status", flat=True
        )
    ) == {ActionStatus.SKIPPED}


def test_without_a_gateway_nothing_is_sent(settings: Any) -> None:
    settings.SMS_URL = settings.PUSH_URL = ""
    assert not messaging.sms_configured() and not messaging.push_configured()
    with pytest.raises(messaging.MessagingError) as error:
        messaging.send_sms("u-1", "hello")
    assert error.value.permanent


def test_a_gateway_that_refuses_is_a_permanent_failure(gateway: Gateway) -> None:
    gateway.status = 400
    with pytest.raises(messaging.MessagingError) as error:
        messaging.send_push("u-1", "title", "text")
    assert error.value.permanent and str(error.value) == "gateway refused: 400"
