"""Personas of the complaint tests, on top of the shared ones (agent, outsider, supervisor)."""

from __future__ import annotations

from collections.abc import Iterator
from random import randrange
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from conftest import make_staff
from kefu.accounts.models import Role, Team, User
from kefu.conversations import services as conversations
from kefu.conversations.models import Channel, Conversation, Customer


@pytest.fixture(autouse=True)
def _cache_of_this_test(settings: Any) -> Iterator[None]:
    """A local-memory cache for each test, also under Redis: parallel workers share one Redis
    database, and the shared fixture's ``cache.clear()`` (FLUSHDB) in one worker wipes rate
    limit counters (django-ratelimit then fails closed with a 429) and cached sessions of the
    others."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "complaints-tests",
        }
    }
    yield
    cache.clear()


@pytest.fixture
def team_lead(teams: dict[str, Team]) -> User:
    """A supervisor who is a member of the deposits team."""
    return make_staff("lead", role=Role.SUPERVISOR, queues=("deposit_withdrawal",), teams=teams)


@pytest.fixture
def admin(teams: dict[str, Team]) -> User:
    return make_staff("admin", role=Role.ADMIN, teams=teams)


@pytest.fixture
def ticket(customer: Customer, agent: User, teams: dict[str, Team]) -> Conversation:
    """A ticket-form conversation in the deposits queue, assigned to ``agent``."""
    conversation = conversations.start_conversation(
        customer=customer,
        channel=Channel.FORM,
        queue="deposit_withdrawal",
        subject="Deposit missing",
        body="My USDT deposit has not arrived",
    ).conversation
    return conversations.assign_conversation(agent, conversation.pk, assignee_id=agent.pk)


@pytest.fixture
def client() -> Client:
    """A customer's browser with an address of its own: parallel test workers share the rate
    limit counters when the cache is Redis."""
    return Client(REMOTE_ADDR=f"10.{randrange(256)}.{randrange(256)}.{randrange(1, 255)}")
