"""The demo pages: chat as a demo exchange customer, signed in, to try the bot's lookups."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kefu.exchange.demo.adapter import load_demo_exchange
from kefu.intake.channels.widget.identity import read_visitor_token

pytestmark = pytest.mark.django_db


def test_pick_a_demo_customer_and_chat_signed_in(client: Client) -> None:
    load_demo_exchange()
    listing = client.get("/demo/customers/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Alice Zhang" in listing and "/demo/customers/10000231/" in listing
    assert "the bot stays out" not in listing  # no chats in this database
    page = client.get("/demo/customers/10000231/").content.decode()
    user_hash = re.search(r'data-user-hash="([0-9a-f]{64})"', page)
    assert user_hash is not None
    session = client.post(
        "/api/v1/widget/session",
        {"user_id": "10000231", "user_hash": user_hash.group(1)},
        content_type="application/json",
    )
    assert session.status_code == 200
    assert read_visitor_token(session.json()["visitor_token"]).external_id == "10000231"
    assert client.get("/demo/customers/99999999/").status_code == 404
    assert "/demo/customers/" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
