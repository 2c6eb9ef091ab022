"""From an ingested event to a review case and the actions of its policy, and the security
team's decision."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from conftest import console_client, make_staff
from kefu.accounts.models import AuditLogEntry, Role, Team, User
from kefu.conversations import services as conversations
from kefu.conversations.models import Channel, TimelineKind
from kefu.exchange.demo.adapter import load_demo_exchange
from kefu.exchange.services import exchange
from kefu.risk import cases
from kefu.risk.models import (
    ActionKind,
    ActionStatus,
    CaseStatus,
    Detector,
    EventSource,
    RiskAction,
    RiskCase,
    Severity,
    TrustedValue,
)
from kefu.risk.services import ingest_events
from kefu.risk.tests.factories import OFAC_ETH, event, load_sample_lists

pytestmark = pytest.mark.django_db
ALICE = "10000231"  # the demo exchange's customer with withdrawal W-200032 pending review


@pytest.fixture
def demo_exchange(db: None) -> None:
    load_demo_exchange()
    load_sample_lists()


def sanctioned_withdrawal(event_id: str = "w-1") -> dict[str, Any]:
    return event(
        "withdrawal_requested",
        event_id,
        user_id=ALICE,
        asset="ETH",
        network="ETH",
        address=OFAC_ETH,
        amount="2.5",
        payload={"withdrawal_id": "W-200032"},
    )


def test_a_withdrawal_to_a_sanctioned_address_is_held_locked_and_warned(
    demo_exchange: None, settings: Any
) -> None:
    customer = conversations.identify_customer(
        external_id=ALICE, name="Alice Zhang", email="alice@example.com"
    )
    chat = conversations.start_conversation(
        customer=customer, channel=Channel.WIDGET, body="hi, my withdrawal?"
    ).conversation

    report = ingest_events([sanctioned_withdrawal()], source=EventSource.API)

    case = RiskCase.objects.get()
    assert report.cases == [case.pk]
    assert (case.user_id, case.status, case.severity) == (ALICE, CaseStatus.OPEN, Severity.CRITICAL)
    assert Detector.SANCTIONED_ADDRESS in set(case.alerts.values_list("detector", flat=True))
    done = {(row.action, row.target): row.status for row in RiskAction.objects.filter(case=case)}
    assert done[(ActionKind.HOLD_WITHDRAWAL, "W-200032")] == ActionStatus.DONE
    assert done[(ActionKind.LOCK_ACCOUNT, "")] == ActionStatus.DONE
    assert [w.status for w in exchange().withdrawals(ALICE) if w.id == "W-200032"] == ["held"]
    assert exchange().profile(ALICE).lock is not None
    # A sanctions match is never disclosed to the customer (no tipping off).
    assert done[(ActionKind.NOTIFY_CUSTOMER, "sanctioned_address")] == ActionStatus.SKIPPED
    assert mail.outbox == []
    assert chat.timeline.filter(kind=TimelineKind.RISK_ALERT).count() == 1
    assert AuditLogEntry.objects.filter(action="risk.hold_withdrawal", actor=None).count() == 1


def test_a_replayed_batch_acts_only_once(demo_exchange: None) -> None:
    ingest_events([sanctioned_withdrawal()], source=EventSource.API)
    again = ingest_events([sanctioned_withdrawal()], source=EventSource.API)
    later = ingest_events([sanctioned_withdrawal("w-2")], source=EventSource.API)

    assert again.duplicates == ["w-1"] and again.alerts == 0
    assert later.cases == [RiskCase.objects.get().pk]  # joins the open case
    assert RiskAction.objects.filter(action=ActionKind.HOLD_WITHDRAWAL).count() == 1
    assert RiskAction.objects.filter(action=ActionKind.LOCK_ACCOUNT).count() == 1


def test_a_policy_without_actions_keeps_the_alert_and_does_nothing(
    demo_exchange: None, supervisor: User
) -> None:
    cases.set_policy(supervisor, Severity.CRITICAL, [])

    report = ingest_events([sanctioned_withdrawal()], source=EventSource.API)

    assert report.alerts >= 1 and report.cases == []
    assert not RiskCase.objects.exists()
    assert [w.status for w in exchange().withdrawals(ALICE) if w.id == "W-200032"] == [
        "pending_review"
    ]


@pytest.fixture
def security_agent(teams: dict[str, Team]) -> User:
    return make_staff("guard", queues=("account_security",), teams=teams)


def test_the_security_team_reviews_and_dismisses_a_case(
    demo_exchange: None, security_agent: User, agent: User
) -> None:
    ingest_events([sanctioned_withdrawal()], source=EventSource.API)
    case = RiskCase.objects.get()
    client = console_client(security_agent)

    listing = client.get(reverse("risk:cases")).content.decode()
    page = client.get(reverse("risk:case", args=[case.pk])).content.decode()
    assert f'id="risk-case-{case.pk}"' in listing
    assert "W-200032" in page and OFAC_ETH[:10] in page
    assert console_client(agent).get(reverse("risk:case", args=[case.pk])).status_code == 404

    response = client.post(
        reverse("risk:case", args=[case.pk]), {"decision": "dismiss", "note": "her own wallet"}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.decided_by, case.decision_note) == (
        CaseStatus.DISMISSED,
        security_agent,
        "her own wallet",
    )
    assert TrustedValue.objects.filter(user_id=ALICE, kind="address", value=OFAC_ETH).exists()
    assert AuditLogEntry.objects.filter(action="risk.case_dismissed", actor=security_agent).exists()


def test_supervisors_set_what_kefu_does_on_its_own(supervisor: User, agent: User) -> None:
    url = reverse("risk:policies")
    assert console_client(agent).get(url).status_code == 404

    response = console_client(supervisor).post(
        url, {"severity_3": ["open_case", "hold_withdrawal"], "severity_4": ["lock_account"]}
    )

    assert response.status_code == 302
    assert cases.policy_actions(Severity.HIGH) == ("hold_withdrawal", "open_case")
    assert cases.policy_actions(Severity.CRITICAL) == ("lock_account",)
    assert cases.policy_actions(Severity.LOW) == ()


def test_agents_outside_security_get_the_screening_tool(agent: User) -> None:
    response = console_client(agent).get(reverse("risk:cases"))
    assert response.status_code == 302 and response["Location"] == reverse("risk:screen")


def test_a_supervisor_role_sees_cases(demo_exchange: None, teams: dict[str, Team]) -> None:
    boss = make_staff("boss", role=Role.SUPERVISOR, teams=teams)
    ingest_events([sanctioned_withdrawal()], source=EventSource.API)
    assert console_client(boss).get(reverse("risk:cases")).status_code == 200


def test_a_takeover_is_caught_and_the_customer_warned_before_the_money_leaves(
    demo_exchange: None,
) -> None:
    saved = "0x2222222222222222222222222222222222222222"
    new = "0x3333333333333333333333333333333333333333"
    history: list[object] = [
        event(
            "login_succeeded",
            f"l-{n}",
            user_id=ALICE,
            device_id="phone",
            occurred_at=f"2026-11-0{n + 1}T08:00:00+00:00",
        )
        for n in range(5)
    ]
    history += [
        event(
            "withdrawal_requested",
            f"w-old-{n}",
            user_id=ALICE,
            asset="USDT",
            network="ETH",
            address=saved,
            amount=str(100 + n),
            occurred_at=f"2026-11-0{n + 1}T09:00:00+00:00",
        )
        for n in range(5)
    ]
    attack: list[object] = [
        event(
            "login_succeeded",
            "a-1",
            user_id=ALICE,
            device_id="laptop-x",
            ip="198.51.100.9",
            occurred_at="2026-11-20T02:00:00+00:00",
        ),
        event("password_changed", "a-2", user_id=ALICE, occurred_at="2026-11-20T02:01:00+00:00"),
        event(
            "withdrawal_address_added",
            "a-3",
            user_id=ALICE,
            asset="USDT",
            network="ETH",
            address=new,
            occurred_at="2026-11-20T02:02:00+00:00",
        ),
        event(
            "withdrawal_requested",
            "a-4",
            user_id=ALICE,
            asset="USDT",
            network="ETH",
            address=new,
            amount="5000",
            occurred_at="2026-11-20T02:03:00+00:00",
            payload={"withdrawal_id": "W-200032"},
        ),
    ]
    ingest_events(history, source=EventSource.API)
    assert not RiskCase.objects.exists()

    ingest_events(attack, source=EventSource.API)

    case = RiskCase.objects.get()
    assert case.severity == Severity.CRITICAL
    assert Detector.TAKEOVER_PATTERN in set(case.alerts.values_list("detector", flat=True))
    assert [w.status for w in exchange().withdrawals(ALICE) if w.id == "W-200032"] == ["held"]
    assert len(mail.outbox) == 1
    warning = mail.outbox[0]
    assert warning.to == ["alice@example.com"]
    assert "to an address not used before" in warning.body
    assert "freeze your account" in warning.body
