"""Fixtures shared by every test: named personas built through the services."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from kefu.accounts import services as accounts
from kefu.accounts.middleware import SESSION_TWO_FACTOR_KEY
from kefu.accounts.models import Role, Team, User
from kefu.conversations import services as conversations
from kefu.conversations.models import Channel, Conversation, Customer
from kefu.lib.database import close_database_threads
from kefu.nlu import data, evaluation
from kefu.nlu import services as nlu
from kefu.nlu.model import Model, Settings, fingerprint, load_model, train, version_of

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session", autouse=True)
def _close_database_threads(django_db_setup: None) -> Iterator[None]:
    """Websocket consumers use a pool of database threads; close their connections before the
    test database is dropped."""
    yield
    close_database_threads()


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Rate-limit counters, the cached brand and the search index of the previous test's
    articles must not leak between tests."""
    from kefu.knowledge.search import forget_index

    cache.clear()
    forget_index()
    yield
    cache.clear()
    # A request in Chinese leaves its language active in this thread; the next test starts
    # in the default language.
    translation.deactivate()


@pytest.fixture
def teams(db: None) -> dict[str, Team]:
    return {team.queue: team for team in accounts.ensure_teams()}


def make_staff(
    username: str,
    *,
    role: Role = Role.AGENT,
    queues: tuple[str, ...] = (),
    teams: dict[str, Team] | None = None,
    enrolled: bool = True,
) -> User:
    return accounts.create_staff_user(
        username=username,
        password=PASSWORD,
        role=role,
        display_name=username.title(),
        teams=[teams[q] for q in queues] if teams else [],
        totp_secret=pyotp.random_base32() if enrolled else "",
    )


@pytest.fixture
def agent(teams: dict[str, Team]) -> User:
    """Works the deposits and withdrawals queue."""
    return make_staff("agent", queues=("deposit_withdrawal",), teams=teams)


@pytest.fixture
def teammate(teams: dict[str, Team]) -> User:
    """Works the same queue as ``agent``."""
    return make_staff("teammate", queues=("deposit_withdrawal",), teams=teams)


@pytest.fixture
def outsider(teams: dict[str, Team]) -> User:
    """An agent of another team: must not see deposit conversations."""
    return make_staff("outsider", queues=("trading",), teams=teams)


@pytest.fixture
def supervisor(teams: dict[str, Team]) -> User:
    return make_staff("supervisor", role=Role.SUPERVISOR, teams=teams)


@pytest.fixture
def customer(db: None) -> Customer:
    return conversations.identify_customer(
        external_id="u-1001", name="Alice", email="alice@example.com"
    )


@pytest.fixture
def conversation(customer: Customer, teams: dict[str, Team]) -> Conversation:
    """An open chat in the deposits queue with one customer message."""
    return conversations.start_conversation(
        customer=customer,
        channel=Channel.WIDGET,
        queue="deposit_withdrawal",
        body="My USDT deposit has not arrived",
        client_id="first",
    ).conversation


def console_client(user: User) -> Client:
    """A browser session signed in to the console, two-factor done."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_TWO_FACTOR_KEY] = 1.0
    session.save()
    return client


@pytest.fixture
def agent_client(agent: User) -> Client:
    return console_client(agent)


@pytest.fixture(scope="session")
def language_model() -> tuple[Model, dict[str, Any]]:
    """Kefu's default language model and its evaluation on the fixed test split, trained once
    per machine (kept in KEFU_MODELS_DIR; xdist workers wait for each other on a lock)."""
    from django.conf import settings

    settings.NLU_MODELS_DIR.mkdir(parents=True, exist_ok=True)
    with open(settings.NLU_MODELS_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # What ``train_default_model`` trains on a database without corrections.
        train_part, test_part = data.split(data.kefu_examples())
        target = settings.NLU_MODELS_DIR / version_of(train_part, Settings())
        if (target / "manifest.json").exists():
            model = load_model(target)
        else:
            model = train(train_part, description="Kefu default")
            nlu.save_atomically(model, target)
        report_file = target / "evaluation.json"
        report = json.loads(report_file.read_text()) if report_file.exists() else {}
        if report.get("test_sha256") != fingerprint(test_part):
            report = {
                **evaluation.evaluate(model, test_part).as_dict(),
                "test_sha256": fingerprint(test_part),
            }
            report_file.write_text(json.dumps(report))
    return model, report


@pytest.fixture
def live_model(db: None, language_model: tuple[Model, dict[str, Any]]) -> Iterator[Model]:
    """The default model, registered and live in this test's database."""
    model, report = language_model
    nlu.forget_live_model()
    registered = nlu.register_model(model, report=report)
    nlu.activate_model(registered.version, force=True)
    yield model
    nlu.forget_live_model()
