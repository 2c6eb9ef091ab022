"""The HTTP adapter against a real server speaking the contract (the demo exchange served by
pytest-django's live server), and against a local server that misbehaves in every way an
exchange's back office can: slow, down, 500, garbage, answers that break the contract."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer

from kefu.exchange import contract
from kefu.exchange.adapter import ExchangeError, ExchangeNotFound, ExchangeRefused, LockReason
from kefu.exchange.cli import openapi_schema
from kefu.exchange.demo.adapter import DemoExchange, load_demo_exchange
from kefu.exchange.http import HttpExchange
from kefu.exchange.models import DemoAccount

SECRET = "test-exchange-secret"
CONTRACT_FILE = Path(__file__).resolve().parents[4] / "docs" / "exchange-api.openapi.json"


@pytest.fixture
def served(transactional_db: None, live_server: LiveServer, settings: Any) -> HttpExchange:
    settings.DEMO_EXCHANGE_SECRET = SECRET
    settings.ROOT_URLCONF = "kefu.exchange.tests.urls"
    load_demo_exchange()
    return HttpExchange(f"{live_server.url}/demo-exchange", SECRET, timeout=5)


def as_dicts(rows: Sequence[object]) -> list[dict[str, object]]:
    return [dataclasses.asdict(row) for row in rows]  # type: ignore[call-overload]


def test_the_http_adapter_sees_what_the_demo_adapter_sees(served: HttpExchange) -> None:
    direct = DemoExchange()
    for account in DemoAccount.objects.all()[:8]:
        user_id = account.user_id
        assert served.profile(user_id) == direct.profile(user_id)
        assert served.balances(user_id) == direct.balances(user_id)
        assert as_dicts(served.deposits(user_id)) == as_dicts(direct.deposits(user_id))
        assert as_dicts(served.withdrawals(user_id)) == as_dicts(direct.withdrawals(user_id))
    assert served.networks() == direct.networks()
    deposit = direct.deposits("10000231")[0]
    assert served.deposits("10000231", txid=deposit.txid)[0].id == deposit.id


def test_actions_and_errors_through_http(served: HttpExchange) -> None:
    DemoAccount.objects.filter(user_id="10000231").update(lock_reason="compliance_review")
    DemoAccount.objects.filter(user_id="10000231").update(locked_at="2026-01-01T00:00:00Z")
    with pytest.raises(ExchangeRefused, match="compliance"):
        served.unlock_account("10000231", note="test")
    with pytest.raises(ExchangeNotFound):
        served.profile("99999999")
    with pytest.raises(ExchangeNotFound):
        served.hold_withdrawal("10000231", "W-0")
    first = served.request_two_factor_reset("10000231")
    assert first.changed and not served.request_two_factor_reset("10000231").changed
    # Hostile values in the path are escaped, not interpreted.
    with pytest.raises((ExchangeNotFound, ExchangeError)):
        served.profile("../../admin")


def test_lock_and_step_up_through_http(served: HttpExchange) -> None:
    direct = DemoExchange()
    first = served.lock_account("10000231", reason=LockReason.RISK_REVIEW, note="risk case 7")
    again = served.lock_account("10000231", reason=LockReason.RISK_REVIEW)
    assert (first.action, first.changed, first.detail) == ("lock_account", True, "risk_review")
    assert (again.changed, again.detail) == (False, "risk_review")
    lock = direct.profile("10000231").lock
    assert lock is not None and lock.reason == LockReason.RISK_REVIEW
    assert not served.profile("10000231").step_up_required
    stepped = served.require_step_up("10000231", note="risk case 7")
    assert (stepped.action, stepped.changed) == ("require_step_up", True)
    assert not served.require_step_up("10000231").changed
    assert served.profile("10000231") == direct.profile("10000231")
    assert served.profile("10000231").step_up_required
    with pytest.raises(ExchangeRefused, match="by itself"):
        served.lock_account("10000231", reason=LockReason.PASSWORD_ATTEMPTS)
    with pytest.raises(ExchangeNotFound):
        served.lock_account("99999999", reason=LockReason.RISK_REVIEW)
    with pytest.raises(ExchangeNotFound):
        served.require_step_up("99999999")


def test_unsigned_or_wrongly_signed_requests_are_refused(served: HttpExchange) -> None:
    wrong = HttpExchange(served.base_url, "not-the-secret", timeout=5)
    with pytest.raises(ExchangeError):
        wrong.profile("10000231")
    import httpx

    response = httpx.get(f"{served.base_url}/v1/users/10000231", timeout=5)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    stale = str(int(time.time()) - 3600)
    path = "/demo-exchange/v1/users/10000231"
    signed = contract.signature(SECRET, stale, "GET", path, b"")
    old = httpx.get(
        served.base_url.replace("/demo-exchange", "") + path,
        headers={contract.TIMESTAMP_HEADER: stale, contract.SIGNATURE_HEADER: signed},
        timeout=5,
    )
    assert old.status_code == 401


# --- a back office that misbehaves --------------------------------------------------------------


class Faulty(BaseHTTPRequestHandler):
    behaviour = "ok"

    def do_GET(self) -> None:
        behaviour = type(self).behaviour
        if behaviour == "slow":
            time.sleep(3)
        if behaviour == "error":
            self._send(500, b'{"code": "unavailable", "message": "db down"}')
        elif behaviour == "garbage":
            self._send(200, b"<html>gateway</html>")
        elif behaviour == "broken_contract":
            self._send(200, json.dumps({"user_id": "1", "name": "x"}).encode())
        elif behaviour == "huge":
            self._send(200, b"[" + b"1," * 1_500_000 + b"1]")
        elif behaviour == "redirect":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
        else:
            self._send(200, b"{}")

    do_POST = do_GET

    def _send(self, status: int, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def faulty() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Faulty)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "behaviour", ["slow", "error", "garbage", "broken_contract", "huge", "redirect"]
)
def test_every_failure_is_an_exchange_error(faulty: str, behaviour: str) -> None:
    Faulty.behaviour = behaviour
    adapter = HttpExchange(faulty, SECRET, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(ExchangeError):
        adapter.profile("10000231")
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("behaviour", ["slow", "error", "garbage", "broken_contract"])
def test_every_failure_of_an_action_is_an_exchange_error(faulty: str, behaviour: str) -> None:
    Faulty.behaviour = behaviour
    adapter = HttpExchange(faulty, SECRET, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(ExchangeError):
        adapter.lock_account("10000231", reason=LockReason.RISK_REVIEW)
    with pytest.raises(ExchangeError):
        adapter.require_step_up("10000231")
    assert time.monotonic() - started < 5


def test_an_exchange_that_is_down() -> None:
    adapter = HttpExchange("http://127.0.0.1:9", SECRET, timeout=0.5)
    with pytest.raises(ExchangeError):
        adapter.deposits("10000231")


def test_the_published_contract_is_the_one_served() -> None:
    """docs/exchange-api.openapi.json is what exchanges implement: regenerate it with
    ``kefu exchange openapi --out docs/exchange-api.openapi.json`` when the contract changes."""
    published = json.loads(CONTRACT_FILE.read_text(encoding="utf-8"))
    assert published == json.loads(json.dumps(openapi_schema(), sort_keys=True))
    assert "/v1/users/{user_id}/deposits" in published["paths"]
    assert {"/v1/users/{user_id}/lock", "/v1/users/{user_id}/step-up"} <= set(published["paths"])
