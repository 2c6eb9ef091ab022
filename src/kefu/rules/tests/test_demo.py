"""The demo rules load once and fire as their names say."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.accounts.models import User
from kefu.conversations.models import Customer, Priority
from kefu.routing.models import Notification
from kefu.rules.demo import load_demo_rules
from kefu.rules.models import Rule
from kefu.rules.services import apply_rules
from kefu.rules.tests.factories import chat

pytestmark = pytest.mark.django_db


def test_demo_rules_load_once_and_fire(customer: Customer, supervisor: User) -> None:
    assert load_demo_rules() == 4
    assert load_demo_rules() == 0
    assert Rule.objects.count() == 4
    assert list(Rule.objects.values_list("position", flat=True)) == [1, 2, 3, 4]
    stolen = chat(customer, "My account was hacked and my BTC is gone")
    # Monday 11:00 in Shanghai: within the demo's hours.
    outcome = apply_rules(stolen.pk, now=datetime(2024, 1, 8, 3, 0, tzinfo=UTC))
    assert (outcome.queue, outcome.priority) == ("account_security", Priority.URGENT)
    assert outcome.fired == [Rule.objects.get(name__startswith="Hacked").pk]
    assert list(Notification.objects.values_list("recipient", flat=True)) == [supervisor.pk]
