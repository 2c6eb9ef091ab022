"""POST /api/v1/risk/events: signature, idempotency, per-event errors and limits."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from kefu.risk.models import RiskEvent, ScreeningHit
from kefu.risk.tests.factories import CLEAN_ETH, OFAC_ETH, SCAM_ETH, event, load_sample_lists

pytestmark = pytest.mark.django_db
SECRET = "s3cret-for-tests"
URL = "/api/v1/risk/events"


@pytest.fixture(autouse=True)
def _secret(settings: Any) -> None:
    settings.RISK_SECRET = SECRET


def _sign(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def _post(body: bytes, signature: str | None = None) -> Any:
    headers = {} if signature == "" else {"X-Kefu-Signature": signature or _sign(body)}
    return Client().post(URL, body, content_type="application/json", headers=headers)


def _batch(*events: object) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def test_a_signed_batch_is_stored() -> None:
    response = _post(_batch(event(), event("withdrawal_requested", "w-1")))

    assert response.status_code == 200
    assert response.json() == {
        "accepted": ["e-1", "w-1"],
        "duplicates": [],
        "rejected": [],
        "screening_hits": [],
        "alerts": 0,
        "cases": [],
    }
    login = RiskEvent.objects.get(event_id="e-1")
    assert (login.kind, login.user_id, login.ip, login.device_id, login.source) == (
        "login_succeeded",
        "u-1001",
        "203.0.113.7",
        "d-1",
        "api",
    )
    withdrawal = RiskEvent.objects.get(event_id="w-1")
    assert (withdrawal.asset, withdrawal.network, withdrawal.address, withdrawal.amount) == (
        "USDT",
        "ETH",
        CLEAN_ETH,
        Decimal("250.5"),
    )


@pytest.mark.parametrize(
    "signature",
    [
        "",  # no header
        "t=123",  # no v1
        "garbage",
        "t={now},v1=" + "0" * 64,  # wrong digest
        "t={now},v1=ünïcode",
    ],
)
def test_a_missing_or_wrong_signature_stores_nothing(signature: str) -> None:
    body = _batch(event())

    response = _post(body, signature.replace("{now}", str(int(time.time()))) if signature else "")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_required"
    assert RiskEvent.objects.count() == 0


def test_a_signature_with_another_secret_or_a_stale_time_is_refused() -> None:
    body = _batch(event())

    other_secret = _post(body, _sign(body, secret="other"))
    stale = _post(body, _sign(body, timestamp=int(time.time()) - 301))
    future = _post(body, _sign(body, timestamp=int(time.time()) + 301))
    changed_body = _post(_batch(event(event_id="e-2")), _sign(body))

    assert [r.status_code for r in (other_secret, stale, future, changed_body)] == [401] * 4
    assert RiskEvent.objects.count() == 0
    assert _post(body, _sign(body, timestamp=int(time.time()) - 290)).status_code == 200


def test_ingestion_is_off_without_a_secret(settings: Any) -> None:
    settings.RISK_SECRET = ""
    body = _batch(event())

    response = _post(body)

    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "Event ingestion is off: set KEFU_RISK_SECRET (or KEFU_RISK_SECRET_FILE) "
        "to turn it on.",
    }
    assert RiskEvent.objects.count() == 0


def test_a_replayed_batch_changes_nothing() -> None:
    load_sample_lists()
    body = _batch(event(), event("withdrawal_requested", "w-1", address=OFAC_ETH))
    first = _post(body).json()

    second = _post(body, _sign(body)).json()

    assert first["accepted"] == ["e-1", "w-1"]
    assert second == {
        "accepted": [],
        "duplicates": ["e-1", "w-1"],
        "rejected": [],
        "screening_hits": [],
        "alerts": 0,
        "cases": [],
    }
    assert (RiskEvent.objects.count(), ScreeningHit.objects.count()) == (2, 1)


def test_an_event_repeated_in_one_batch_is_stored_once() -> None:
    response = _post(_batch(event(), event(user_id="u-other"))).json()

    assert (response["accepted"], response["duplicates"]) == (["e-1"], ["e-1"])
    assert RiskEvent.objects.get().user_id == "u-1001"


def test_bad_events_are_reported_and_the_good_ones_stored() -> None:
    body = _batch(
        event(event_id="good-1"),
        "not an object",
        event(event_id="bad-ip", ip="999.1.1.1"),
        event("withdrawal_requested", "no-address", address=None),
        event(event_id="good-2", kind="password_changed"),
        event(event_id="bad-kind", kind="teleported"),
        event(event_id="extra", colour="red"),
    )

    response = _post(body).json()

    assert response["accepted"] == ["good-1", "good-2"]
    assert [(r["index"], r["event_id"], r["code"]) for r in response["rejected"]] == [
        (1, "", "not_an_object"),
        (2, "bad-ip", "invalid_field"),
        (3, "no-address", "missing_field"),
        (5, "bad-kind", "invalid_field"),
        (6, "extra", "invalid_field"),
    ]
    messages = [r["message"] for r in response["rejected"]]
    assert messages[0] == "Each event must be a JSON object."
    assert messages[1] == "ip: value is not a valid IPv4 or IPv6 address"
    assert messages[2] == "withdrawal_requested events need: address."
    assert messages[3].startswith("kind: Input should be 'login_succeeded', 'login_failed'")
    assert messages[4] == "colour: Extra inputs are not permitted"
    assert sorted(RiskEvent.objects.values_list("event_id", flat=True)) == ["good-1", "good-2"]


@pytest.mark.parametrize(
    ("kind", "missing"),
    [
        ("login_succeeded", "ip"),
        ("login_failed", "ip"),
        ("withdrawal_address_added", "asset, network, address"),
        ("withdrawal_requested", "asset, network, address, amount"),
        ("deposit", "asset, network, amount"),
        ("trade", "asset, amount"),
    ],
)
def test_each_kind_needs_its_fields(kind: str, missing: str) -> None:
    bare = {"event_id": "x-1", "kind": kind, "user_id": "u-1", "occurred_at": "2025-06-01T08:00Z"}

    rejected = _post(_batch(bare)).json()["rejected"]
    accepted = _post(_batch(event(kind, "x-2"))).json()["accepted"]

    assert rejected == [
        {
            "index": 0,
            "event_id": "x-1",
            "code": "missing_field",
            "message": f"{kind} events need: {missing}.",
        }
    ]
    assert accepted == ["x-2"]


@pytest.mark.parametrize(
    "kind",
    ["two_factor_changed", "password_changed", "email_changed", "phone_changed", "api_key_created"],
)
def test_security_changes_need_no_more_than_who_and_when(kind: str) -> None:
    bare = {"event_id": "x-1", "kind": kind, "user_id": "u-1", "occurred_at": "2025-06-01T08:00Z"}

    assert _post(_batch(bare)).json()["accepted"] == ["x-1"]
    assert RiskEvent.objects.get().kind == kind


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        (
            {"occurred_at": "2025-06-01T08:00:00"},
            "invalid_field",
            "occurred_at: Input should have timezone info",
        ),
        (
            {"occurred_at": "yesterday"},
            "invalid_field",
            "occurred_at: Input should be a valid datetime or date, input is too short",
        ),
        (
            {"occurred_at": "2999-01-01T00:00:00Z"},
            "in_the_future",
            "occurred_at: this time is in the future.",
        ),
        ({"amount": "-1"}, "invalid_field", "amount: Input should be greater than 0"),
        (
            {"amount": "1e400"},
            "invalid_field",
            "amount: Decimal input should have no more than 38 digits in total",
        ),
        (
            {"country": "China"},
            "invalid_field",
            "country: String should match pattern '^[A-Z]{2}$'",
        ),
        (
            {"user_id": "x" * 101},
            "invalid_field",
            "user_id: String should have at most 100 characters",
        ),
        ({"user_id": 42}, "invalid_field", "user_id: Input should be a valid string"),
    ],
)
def test_fields_are_checked(fields: dict[str, object], code: str, message: str) -> None:
    rejected = _post(_batch(event("withdrawal_requested", "x-1", **fields))).json()["rejected"]

    assert [(r["code"], r["message"]) for r in rejected] == [(code, message)]
    assert RiskEvent.objects.count() == 0


def test_a_long_user_agent_is_clipped() -> None:
    _post(_batch(event(user_agent="A" * 1500)))

    assert RiskEvent.objects.get().user_agent == "A" * 500


def test_a_batch_over_the_limits_is_refused_whole() -> None:
    too_many = _batch(*[event(event_id=f"e-{n}") for n in range(1001)])
    too_big = _batch(event(payload={"note": "x" * 4000}), {"padding": "y" * 1024 * 1024})

    many = _post(too_many)
    big = _post(too_big)

    assert (many.status_code, many.json()["message"]) == (
        413,
        "Send at most 1000 events in one batch.",
    )
    assert (big.status_code, big.json()["message"]) == (
        413,
        "Send at most 1048576 bytes in one batch.",
    )
    assert RiskEvent.objects.count() == 0


@pytest.mark.parametrize(
    "body", [b"{not json", b"[]", b'{"events": {}}', b"[" * 100_000 + b"]" * 100_000]
)
def test_a_body_that_is_not_a_batch_is_refused(body: bytes) -> None:
    response = _post(body)

    assert (response.status_code, response.json()["message"]) == (
        400,
        'Send a JSON object of the form {"events": [...]}.',
    )


def test_a_deep_or_huge_payload_rejects_only_its_event() -> None:
    deep: object = "leaf"
    for _ in range(50):
        deep = {"a": deep}
    body = _batch(
        event(event_id="deep", payload=deep),
        event(event_id="huge", payload={"note": "x" * 5000}),
        event(event_id="fine", payload={"session": {"risk": [1, 2]}}),
    )

    response = _post(body).json()

    assert response["accepted"] == ["fine"]
    assert [(r["event_id"], r["code"], r["message"]) for r in response["rejected"]] == [
        (
            "deep",
            "payload_too_large",
            "payload: at most 4096 bytes of JSON, nested at most 5 deep.",
        ),
        (
            "huge",
            "payload_too_large",
            "payload: at most 4096 bytes of JSON, nested at most 5 deep.",
        ),
    ]
    assert RiskEvent.objects.get().payload == {"session": {"risk": [1, 2]}}


def test_withdrawals_to_listed_addresses_are_screened() -> None:
    load_sample_lists()
    body = _batch(
        event("withdrawal_requested", "w-ofac", address=OFAC_ETH.upper().replace("0X", "0x")),
        event("withdrawal_address_added", "a-scam", address=SCAM_ETH),
        event("withdrawal_requested", "w-clean"),
        event("deposit", "d-1", address=OFAC_ETH),  # deposits are not screened in this slice
    )

    response = _post(body).json()

    assert response["screening_hits"] == [
        {
            "event_id": "w-ofac",
            "list": "ofac",
            "asset": "ETH",
            "address": OFAC_ETH.upper().replace("0X", "0x"),
            "label": "",
        },
        {
            "event_id": "a-scam",
            "list": "scam",
            "asset": "ETH",
            "address": SCAM_ETH,
            "label": "Fake_Phishing3901",
        },
    ]
    hits = ScreeningHit.objects.order_by("pk").values_list("event__event_id", "list", "label")
    assert list(hits) == [("w-ofac", "ofac", ""), ("a-scam", "scam", "Fake_Phishing3901")]
