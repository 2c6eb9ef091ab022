"""Detectors: each fires on its pattern and not on the near miss, respects what the security
team trusts, and explains itself in English and Chinese."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import translation

from kefu.accounts.models import User
from kefu.risk import cases
from kefu.risk.detectors import Finding, describe, detect
from kefu.risk.models import Detector, EventSource, RiskCase, RiskEvent, Severity, TrustedValue
from kefu.risk.services import ingest_events
from kefu.risk.tests.factories import CLEAN_ETH, OFAC_ETH, SCAM_ETH, event, load_sample_lists

pytestmark = pytest.mark.django_db
T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=30)
NEW_ADDRESS = "0x2222222222222222222222222222222222222222"


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def login(event_id: str, minutes: float, **fields: Any) -> dict[str, Any]:
    return event("login_succeeded", event_id, occurred_at=at(minutes), **fields)


def failed(event_id: str, minutes: float, **fields: Any) -> dict[str, Any]:
    return event("login_failed", event_id, occurred_at=at(minutes), **fields)


def withdrawal(event_id: str, minutes: float, amount: str, **fields: Any) -> dict[str, Any]:
    return event("withdrawal_requested", event_id, occurred_at=at(minutes), amount=amount, **fields)


def ingest(*events: dict[str, Any]) -> list[RiskEvent]:
    """Store ``events`` as one batch (as the exchange sends them) and return the stored rows."""
    report = ingest_events(list(events), source=EventSource.API, now=NOW)
    assert report.rejected == []
    return list(RiskEvent.objects.filter(event_id__in=report.accepted).order_by("pk"))


def found(findings: list[Finding]) -> list[tuple[str, str, int, int, dict[str, object]]]:
    return [
        (finding.detector, finding.event.event_id, finding.score, finding.severity, finding.params)
        for finding in findings
    ]


def run(*events: dict[str, Any]) -> list[tuple[str, str, int, int, dict[str, object]]]:
    return found(detect(ingest(*events), now=NOW))


DAY = 24 * 60


# --- new device, network, country ----------------------------------------------------------


def test_a_first_ever_login_is_not_new() -> None:
    assert run(login("l-1", 0, country="SG")) == []


def test_a_login_from_a_new_device_is_low() -> None:
    ingest(login("l-1", 0, country="SG"))

    assert run(login("l-2", DAY, country="SG", device_id="d-2")) == [
        ("new_device", "l-2", 30, Severity.LOW, {"device_id": "d-2", "known_devices": 1}),
    ]


def test_the_known_device_network_and_country_raise_nothing() -> None:
    ingest(login("l-1", 0, country="SG"))

    assert run(login("l-2", DAY, country="SG", ip="203.0.113.200")) == []


def test_a_login_from_a_new_network_is_low() -> None:
    ingest(login("l-1", 0, country="SG"))

    assert run(login("l-2", DAY, country="SG", ip="198.51.100.9")) == [
        (
            "new_network",
            "l-2",
            20,
            Severity.LOW,
            {"network": "198.51.100.0/24", "ip": "198.51.100.9"},
        ),
    ]


def test_a_login_from_a_new_country_is_medium() -> None:
    ingest(login("l-1", 0, country="SG"), login("l-2", DAY, country="MY"))

    assert run(login("l-3", 3 * DAY, country="JP")) == [
        (
            "new_country",
            "l-3",
            50,
            Severity.MEDIUM,
            {"country": "JP", "known_countries": ["MY", "SG"]},
        ),
    ]


def test_a_country_is_not_new_when_earlier_logins_had_none() -> None:
    ingest(login("l-1", 0))

    assert run(login("l-2", DAY, country="JP")) == []


def test_earlier_events_of_the_same_batch_are_history() -> None:
    # Sent out of order: the batch is replayed by occurred_at.
    assert run(login("l-2", 60, device_id="d-2"), login("l-1", 0)) == [
        ("new_device", "l-2", 30, Severity.LOW, {"device_id": "d-2", "known_devices": 1}),
    ]


def test_failed_logins_do_not_make_a_device_known() -> None:
    ingest(login("l-1", 0), failed("f-1", 10, device_id="d-2"))

    assert run(login("l-2", 20, device_id="d-2")) == [
        ("new_device", "l-2", 30, Severity.LOW, {"device_id": "d-2", "known_devices": 1}),
    ]


def test_ipv6_networks_are_compared_by_their_48_prefix() -> None:
    ingest(login("l-1", 0, ip="2001:db8:1::1"))

    assert run(login("l-2", DAY, ip="2001:db8:1:ff::1")) == []
    assert run(login("l-3", 2 * DAY, ip="2001:db8:2::1")) == [
        (
            "new_network",
            "l-3",
            20,
            Severity.LOW,
            {"network": "2001:db8:2::/48", "ip": "2001:db8:2::1"},
        ),
    ]


# --- impossible travel ----------------------------------------------------------------------


def test_logins_too_far_apart_for_a_plane_are_impossible_travel() -> None:
    ingest(login("l-1", 0, country="SG"), login("l-2", 60, country="SG"))

    assert run(login("l-3", 120, country="GB")) == [
        (
            "new_country",
            "l-3",
            50,
            Severity.MEDIUM,
            {"country": "GB", "known_countries": ["SG"]},
        ),
        (
            "impossible_travel",
            "l-3",
            80,
            Severity.HIGH,
            {
                "previous_event_id": "l-2",
                "from_place": "SG",
                "to_place": "GB",
                "distance_km": 10902,
                "minutes": 60,
                "speed_kmh": 10902,
            },
        ),
    ]


def test_a_flight_that_fits_in_the_time_is_not_impossible_travel() -> None:
    ingest(login("l-1", 0, country="SG"))

    # Singapore to Hong Kong is 2,587 km: within 1,000 km/h over 3 hours plus an hour of slack.
    assert run(login("l-2", 180, country="HK")) == [
        (
            "new_country",
            "l-2",
            50,
            Severity.MEDIUM,
            {"country": "HK", "known_countries": ["SG"]},
        ),
    ]


def test_coordinates_in_the_payload_win_over_the_country() -> None:
    ingest(login("l-1", 0, payload={"latitude": 31.23, "longitude": 121.47}))

    assert run(login("l-2", 120, payload={"latitude": "40.71", "longitude": -74.01})) == [
        (
            "impossible_travel",
            "l-2",
            80,
            Severity.HIGH,
            {
                "previous_event_id": "l-1",
                "from_place": "31.23, 121.47",
                "to_place": "40.71, -74.01",
                "distance_km": 11859,
                "minutes": 120,
                "speed_kmh": 5929,
            },
        ),
    ]


def test_junk_coordinates_and_unknown_countries_are_skipped() -> None:
    ingest(
        login("l-1", 0, country="SG", payload={"latitude": "north", "longitude": [1]}),
        login("l-2", 30, country="XX", payload={"latitude": True, "longitude": 999}),
    )

    assert (
        run(login("l-3", 60, country="SG", payload={"latitude": {"deep": [1, {"x": None}]}})) == []
    )


# --- failed login bursts ------------------------------------------------------------------


def test_five_failed_logins_in_ten_minutes_raise_one_alert() -> None:
    findings = run(*[failed(f"f-{n}", n * 2) for n in range(7)])

    assert findings == [
        (
            "failed_login_burst",
            "f-4",
            60,
            Severity.MEDIUM,
            {"scope": "customer", "count": 5, "minutes": 10},
        ),
    ]


def test_five_failed_logins_over_ten_minutes_raise_nothing() -> None:
    assert run(*[failed(f"f-{n}", minutes) for n, minutes in enumerate((0, 2, 4, 6, 10))]) == []


def test_one_ip_failing_for_ten_customers_is_credential_stuffing() -> None:
    ingest(*[failed(f"f-{n}", n, user_id=f"u-{n}", ip="192.0.2.50") for n in range(9)])

    assert run(failed("f-9", 9, user_id="u-9", ip="192.0.2.50")) == [
        (
            "failed_login_burst",
            "f-9",
            80,
            Severity.HIGH,
            {"scope": "ip", "ip": "192.0.2.50", "customers": 10, "count": 10, "minutes": 10},
        ),
    ]


def test_nine_customers_from_one_ip_are_not_credential_stuffing() -> None:
    assert run(*[failed(f"f-{n}", n, user_id=f"u-{n}", ip="192.0.2.50") for n in range(9)]) == []


# --- withdrawals --------------------------------------------------------------------------


def usual_withdrawals(count: int = 5) -> None:
    amounts = ("100", "110", "90", "105", "95", "100")[:count]
    ingest(*[withdrawal(f"w-{n}", n * DAY, amount) for n, amount in enumerate(amounts)])


def test_a_withdrawal_far_above_the_usual_is_high() -> None:
    usual_withdrawals()

    assert run(withdrawal("w-big", 10 * DAY, "2000")) == [
        (
            "withdrawal_above_baseline",
            "w-big",
            75,
            Severity.HIGH,
            {"amount": "2000", "asset": "USDT", "median": "100", "count": 5, "ratio": 20},
        ),
    ]


def test_a_withdrawal_five_times_the_usual_is_low() -> None:
    usual_withdrawals()

    assert run(withdrawal("w-big", 10 * DAY, "500.25")) == [
        (
            "withdrawal_above_baseline",
            "w-big",
            35,
            Severity.LOW,
            {"amount": "500.25", "asset": "USDT", "median": "100", "count": 5, "ratio": 5},
        ),
    ]


def test_a_withdrawal_under_three_times_the_usual_raises_nothing() -> None:
    usual_withdrawals()

    assert run(withdrawal("w-big", 10 * DAY, "290")) == []


def test_without_five_earlier_withdrawals_there_is_no_baseline() -> None:
    usual_withdrawals(4)

    assert run(withdrawal("w-big", 10 * DAY, "20000")) == []


def test_the_baseline_is_per_asset() -> None:
    usual_withdrawals()

    assert run(withdrawal("w-big", 10 * DAY, "2000", asset="ETH")) == []


def test_four_withdrawals_in_half_an_hour_are_a_burst() -> None:
    findings = run(*[withdrawal(f"w-{n}", n * 8, "100") for n in range(5)])

    assert findings == [
        ("withdrawal_burst", "w-3", 60, Severity.MEDIUM, {"count": 4, "minutes": 30}),
    ]


def test_three_withdrawals_in_half_an_hour_are_not_a_burst() -> None:
    assert run(*[withdrawal(f"w-{n}", n * 12, "100") for n in range(5)]) == []


# --- account takeover ---------------------------------------------------------------------


def test_a_security_change_then_a_large_withdrawal_to_a_new_address_is_critical() -> None:
    usual_withdrawals()
    ingest(login("l-1", 0))

    findings = run(
        event("password_changed", "p-1", occurred_at=at(10 * DAY)),
        event("withdrawal_address_added", "a-1", occurred_at=at(10 * DAY + 5), address=NEW_ADDRESS),
        withdrawal("w-big", 10 * DAY + 125, "2000", address=NEW_ADDRESS),
    )

    assert findings == [
        (
            "withdrawal_above_baseline",
            "w-big",
            75,
            Severity.HIGH,
            {"amount": "2000", "asset": "USDT", "median": "100", "count": 5, "ratio": 20},
        ),
        (
            "takeover_pattern",
            "w-big",
            90,
            Severity.CRITICAL,
            {
                "address": NEW_ADDRESS,
                "asset": "USDT",
                "amount": "2000",
                "changes": ["password_changed"],
                "new_device": False,
                "new_network": False,
                "ratio": 20,
                "hours": 2,
            },
        ),
    ]


def test_every_part_of_a_takeover_scores_the_most() -> None:
    usual_withdrawals()
    ingest(login("l-1", 0))

    findings = run(
        login("l-2", 10 * DAY, device_id="d-evil", ip="198.51.100.9"),
        event("two_factor_changed", "t-1", occurred_at=at(10 * DAY + 5)),
        event("email_changed", "m-1", occurred_at=at(10 * DAY + 6)),
        withdrawal("w-big", 10 * DAY + 30, "2000", address=NEW_ADDRESS),
    )

    assert [f for f in findings if f[0] == Detector.TAKEOVER_PATTERN] == [
        (
            "takeover_pattern",
            "w-big",
            100,
            Severity.CRITICAL,
            {
                "address": NEW_ADDRESS,
                "asset": "USDT",
                "amount": "2000",
                "changes": ["email_changed", "two_factor_changed"],
                "new_device": True,
                "new_network": True,
                "ratio": 20,
                "hours": 0,
            },
        ),
    ]


def test_a_new_login_then_a_withdrawal_to_a_new_address_is_medium() -> None:
    ingest(login("l-1", 0))

    assert run(
        login("l-2", DAY, device_id="d-evil"),
        withdrawal("w-1", DAY + 60, "100", address=NEW_ADDRESS),
    ) == [
        ("new_device", "l-2", 30, Severity.LOW, {"device_id": "d-evil", "known_devices": 1}),
        (
            "takeover_pattern",
            "w-1",
            50,
            Severity.MEDIUM,
            {
                "address": NEW_ADDRESS,
                "asset": "USDT",
                "amount": "100",
                "changes": [],
                "new_device": True,
                "new_network": False,
                "ratio": None,
                "hours": 1,
            },
        ),
    ]


def test_a_security_change_and_a_new_login_without_history_are_high() -> None:
    ingest(login("l-1", 0))

    findings = run(
        login("l-2", DAY, ip="198.51.100.9"),
        event("phone_changed", "ph-1", occurred_at=at(DAY + 1)),
        withdrawal("w-1", DAY + 60, "100", address=NEW_ADDRESS),
    )

    assert findings[-1] == (
        "takeover_pattern",
        "w-1",
        70,
        Severity.HIGH,
        {
            "address": NEW_ADDRESS,
            "asset": "USDT",
            "amount": "100",
            "changes": ["phone_changed"],
            "new_device": False,
            "new_network": True,
            "ratio": None,
            "hours": 1,
        },
    )


def test_a_withdrawal_to_a_known_address_after_a_security_change_is_no_takeover() -> None:
    usual_withdrawals()

    assert (
        run(
            event("password_changed", "p-1", occurred_at=at(10 * DAY)),
            withdrawal("w-1", 10 * DAY + 60, "100", address=CLEAN_ETH.upper().replace("0X", "0x")),
        )
        == []
    )


def test_a_security_change_more_than_two_days_before_is_no_takeover() -> None:
    assert (
        run(
            event("password_changed", "p-1", occurred_at=at(0)),
            withdrawal("w-1", 2 * DAY + 1, "100", address=NEW_ADDRESS),
        )
        == []
    )


# --- screening ----------------------------------------------------------------------------


def test_a_withdrawal_to_a_sanctioned_address_is_critical() -> None:
    load_sample_lists()

    assert run(withdrawal("w-1", 0, "1", asset="ETH", address=OFAC_ETH)) == [
        (
            "sanctioned_address",
            "w-1",
            100,
            Severity.CRITICAL,
            {
                "address": OFAC_ETH,
                "asset": "ETH",
                "list": "ofac",
                "listed_asset": "ETH",
                "label": "",
            },
        ),
    ]


def test_a_withdrawal_address_on_a_scam_list_is_high() -> None:
    load_sample_lists()

    assert run(event("withdrawal_address_added", "a-1", asset="ETH", address=SCAM_ETH)) == [
        (
            "scam_address",
            "a-1",
            80,
            Severity.HIGH,
            {
                "address": SCAM_ETH,
                "asset": "ETH",
                "list": "scam",
                "listed_asset": "ETH",
                "label": "Fake_Phishing3901",
            },
        ),
    ]


# --- trading ------------------------------------------------------------------------------


def usual_trading() -> None:
    ingest(*[event("trade", f"t-{n}", occurred_at=at(n * DAY), amount="0.01") for n in range(5)])


def test_an_hour_of_trading_far_above_the_usual_is_a_spike_once() -> None:
    usual_trading()

    assert run(
        event("trade", "t-big", occurred_at=at(10 * DAY), amount="0.3"),
        event("trade", "t-more", occurred_at=at(10 * DAY + 10), amount="0.2"),
    ) == [
        (
            "trading_spike",
            "t-big",
            50,
            Severity.MEDIUM,
            {"asset": "BTC", "volume": "0.3", "median": "0.01", "hours": 5, "ratio": 30},
        ),
    ]


def test_an_hour_of_trading_four_times_the_usual_is_no_spike() -> None:
    usual_trading()

    assert (
        run(
            event("trade", "t-1", occurred_at=at(10 * DAY), amount="0.02"),
            event("trade", "t-2", occurred_at=at(10 * DAY + 50), amount="0.02"),
        )
        == []
    )


# --- trust --------------------------------------------------------------------------------


def test_a_dismissed_case_teaches_the_device_network_and_country(supervisor: User) -> None:
    ingest(login("l-1", 0, country="SG"))
    ingest(login("l-2", DAY, country="JP", device_id="d-2", ip="198.51.100.9"))
    case = RiskCase.objects.get()

    cases.dismiss_case(supervisor, case.pk, note="on holiday")

    assert sorted(TrustedValue.objects.values_list("kind", "value")) == [
        ("country", "JP"),
        ("device", "d-2"),
        ("network", "198.51.100.0/24"),
    ]
    ingest(login("l-3", 2 * DAY, country="SG"))
    assert run(login("l-4", 9 * DAY, country="JP", device_id="d-2", ip="198.51.100.77")) == []


def test_a_dismissed_case_teaches_the_withdrawal_address(supervisor: User) -> None:
    ingest(
        event("password_changed", "p-1", occurred_at=at(0)),
        withdrawal("w-1", 60, "100", address=NEW_ADDRESS),
    )
    cases.dismiss_case(supervisor, RiskCase.objects.get().pk)

    assert (
        run(
            event("password_changed", "p-2", occurred_at=at(2 * DAY)),
            withdrawal("w-2", 2 * DAY + 60, "100", address=NEW_ADDRESS.upper().replace("0X", "0x")),
        )
        == []
    )


def test_a_trusted_scam_address_is_quiet_and_a_sanctioned_one_never(supervisor: User) -> None:
    load_sample_lists()
    ingest(
        event("withdrawal_address_added", "a-1", asset="ETH", address=SCAM_ETH),
        withdrawal("w-1", 1, "1", asset="ETH", address=OFAC_ETH),
    )
    cases.dismiss_case(supervisor, RiskCase.objects.get().pk)

    assert [
        finding[:2]
        for finding in run(
            event("withdrawal_address_added", "a-2", occurred_at=at(60), address=SCAM_ETH),
            withdrawal("w-2", 61, "1", asset="ETH", address=OFAC_ETH),
        )
    ] == [("sanctioned_address", "w-2")]


# --- cost and robustness ------------------------------------------------------------------


def test_a_batch_costs_one_query_per_customer_and_three_more(
    django_assert_num_queries: Any,
) -> None:
    usual_withdrawals()
    stored = ingest(
        login("l-1", 0, user_id="u-2"),
        failed("f-1", 1, user_id="u-3"),
        withdrawal("w-big", 10 * DAY, "2000"),
    )

    with django_assert_num_queries(6):
        findings = detect(stored, now=NOW)

    assert [finding[:2] for finding in found(findings)] == [
        ("withdrawal_above_baseline", "w-big"),
    ]


def test_nothing_to_detect_costs_no_query(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        assert detect([], now=NOW) == []


def test_events_from_the_future_are_skipped() -> None:
    ingest(login("l-1", 0))
    stored = ingest(login("l-2", DAY, device_id="d-2"))

    assert detect(stored, now=T0) == []


def test_odd_values_on_stored_rows_are_skipped() -> None:
    ingest(login("l-1", 0, country="SG"))
    (row,) = ingest(login("l-2", DAY, country="SG"))
    # Rows as another version of the exchange might have written them.
    row.ip = "not-an-ip"
    row.payload = ["not", "a", "dict"]
    row.country = "S"

    assert detect([row], now=NOW) == []


# --- reasons in words ---------------------------------------------------------------------


def test_reasons_are_written_in_english_and_chinese() -> None:
    params: dict[str, object] = {
        "amount": "25000",
        "asset": "USDT",
        "median": "1800",
        "count": 23,
        "ratio": 14,
    }
    with translation.override("en"):
        english = describe("withdrawal_above_baseline", params)
    with translation.override("zh-hans"):
        chinese = describe("withdrawal_above_baseline", params)

    assert english == (
        "Withdrawal of 25,000 USDT is 14x this customer's usual "
        "(median 1,800 USDT over 23 withdrawals)"
    )
    assert chinese in (
        english,
        "提现 25,000 USDT，是该客户平常金额的 14 倍（23 笔提现的中位数为 1,800 USDT）",
    )


@pytest.mark.parametrize(
    ("detector", "params", "text"),
    [
        (
            "new_device",
            {"device_id": "d-2", "known_devices": 1},
            "Login from a device not seen before on this account (d-2)",
        ),
        (
            "new_network",
            {"network": "198.51.100.0/24"},
            "Login from an IP network not seen before on this account (198.51.100.0/24)",
        ),
        (
            "new_country",
            {"country": "JP", "known_countries": ["MY", "SG"]},
            "Login from a country not seen before on this account (JP; seen before: MY, SG)",
        ),
        (
            "impossible_travel",
            {
                "from_place": "SG",
                "to_place": "GB",
                "distance_km": 10902,
                "minutes": 60,
                "speed_kmh": 10902,
            },
            "Logins from SG and GB, 10,902 km apart within 60 minutes (10,902 km/h)",
        ),
        (
            "failed_login_burst",
            {"scope": "customer", "count": 5, "minutes": 10},
            "5 failed logins within 10 minutes",
        ),
        (
            "failed_login_burst",
            {"scope": "ip", "ip": "192.0.2.50", "customers": 10, "minutes": 10},
            "Failed logins for 10 customers from IP address 192.0.2.50 within 10 minutes",
        ),
        ("withdrawal_burst", {"count": 4, "minutes": 30}, "4 withdrawals within 30 minutes"),
        (
            "takeover_pattern",
            {
                "amount": "2000",
                "asset": "USDT",
                "hours": 2,
                "changes": ["password_changed"],
                "new_device": True,
                "new_network": False,
                "ratio": 20,
            },
            (
                "Withdrawal of 2,000 USDT to an address not used before, 2 hours after: "
                "Password changed; login from a new device; amount 20x the usual"
            ),
        ),
        (
            "sanctioned_address",
            {"address": OFAC_ETH},
            f"Address {OFAC_ETH} is on the OFAC sanctions list",
        ),
        (
            "scam_address",
            {"address": SCAM_ETH},
            f"Address {SCAM_ETH} is on a known scam and phishing list",
        ),
        (
            "trading_spike",
            {"asset": "BTC", "volume": "0.3", "median": "0.01", "hours": 5, "ratio": 30},
            (
                "Traded 0.3 BTC within an hour, 30x this customer's usual hour "
                "(median 0.01 BTC over 5 hours)"
            ),
        ),
        ("no_such_detector", {}, "Unusual activity on the account"),
        ("withdrawal_burst", {"count": 4}, "Unusual activity on the account"),
        (
            "new_device",
            {"device_id": None},
            "Login from a device not seen before on this account (None)",
        ),
        (
            "withdrawal_above_baseline",
            {"amount": "lots", "asset": "USDT", "median": "NaN", "count": [], "ratio": {}},
            (
                "Withdrawal of lots USDT is {}x this customer's usual "
                "(median NaN USDT over  withdrawals)"
            ),
        ),
    ],
)
def test_each_reason_in_words(detector: str, params: dict[str, object], text: str) -> None:
    with translation.override("en"):
        assert describe(detector, params) == text


def test_an_unknown_reason_is_generic_in_chinese() -> None:
    with translation.override("zh-hans"):
        text = describe("no_such_detector", {"x": 1})

    assert text in ("Unusual activity on the account", "账户出现异常活动")
