"""The background sweep: every registered job runs, and one failing does not stop the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kefu.accounts.models import User
from kefu.conversations import services as conversations
from kefu.conversations.models import Channel
from kefu.routing import schedule
from kefu.routing.models import ConversationRouting, Notification, SlaStage
from kefu.routing.tests.factories import customer_named, policy, ready

pytestmark = pytest.mark.django_db


def test_one_pass_routes_assigns_and_checks_slas(agent: User) -> None:
    policy(first_response_seconds=60)
    ready(agent)
    ticket = conversations.start_conversation(
        customer=customer_named("a"), channel=Channel.FORM, body="hello?"
    ).conversation
    later = timezone.now() + timedelta(minutes=5)

    schedule.sweep_once(later)

    ticket.refresh_from_db()
    row = ConversationRouting.objects.get(pk=ticket.pk)
    assert ticket.assignee_id is None  # general queue: the agent works deposits only
    assert row.first_response_stage == SlaStage.NONE
    schedule.sweep_once(later + timedelta(minutes=5))
    assert ConversationRouting.objects.get(pk=ticket.pk).first_response_stage == SlaStage.BREACHED
    assert Notification.objects.count() == 0  # no supervisor in this test: nobody to tell


def test_a_failing_sweep_does_not_stop_the_others(
    agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[str] = []

    def broken(now: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(
        schedule,
        "SWEEPS",
        (
            schedule.Sweep("broken", broken),
            schedule.Sweep("fine", lambda now: ran.append("fine")),
            schedule.Sweep("rare", lambda now: ran.append("rare"), every_seconds=3600),
        ),
    )
    last_runs: dict[str, float] = {}
    schedule.sweep_once(last_runs=last_runs)
    schedule.sweep_once(last_runs=last_runs)

    assert ran == ["fine", "rare", "fine"]
