from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings

from kefu.intake.channels.widget.identity import read_visitor_token, user_hash

pytestmark = pytest.mark.django_db


def session(client: Client, **body: str) -> Any:
    return client.post("/api/v1/widget/session", json.dumps(body), content_type="application/json")


def test_an_anonymous_visitor_gets_a_token_that_is_renewed(client: Client) -> None:
    first = session(client, language="zh-CN").json()["visitor_token"]
    identity = read_visitor_token(first)
    assert identity.language == "zh" and identity.external_id is None
    renewed = session(client, visitor_token=first).json()["visitor_token"]
    assert read_visitor_token(renewed).visitor_id == identity.visitor_id


def test_a_forged_token_starts_a_new_visitor(client: Client) -> None:
    token = session(client, visitor_token="forged").json()["visitor_token"]
    assert read_visitor_token(token).visitor_id


@override_settings(WIDGET_IDENTITY_SECRET="s3cret")
def test_an_exchange_user_needs_a_valid_hash(client: Client) -> None:
    ok = session(client, user_id="10004412", user_hash=user_hash("10004412"), name="Wang")
    assert ok.status_code == 200
    assert read_visitor_token(ok.json()["visitor_token"]).external_id == "10004412"
    forged = session(client, user_id="10004412", user_hash="0" * 64)
    assert forged.status_code == 403
    assert forged.json()["code"] == "permission_denied"


@override_settings(WIDGET_IDENTITY_SECRET="")
def test_without_a_secret_nobody_can_claim_an_exchange_id(client: Client) -> None:
    response = session(client, user_id="10004412", user_hash=user_hash("10004412"))
    assert response.status_code == 403


def test_the_loader_and_frame_are_served(client: Client) -> None:
    loader = client.get("/widget.js")
    assert loader.status_code == 200
    assert loader["Content-Type"].startswith("text/javascript")
    assert b"KefuWidget" in loader.content
    frame = client.get("/widget/frame/?lang=zh")
    assert frame.status_code == 200
    assert "X-Frame-Options" not in frame
    assert "frame-ancestors *" in frame["Content-Security-Policy"]
    assert "发送" in frame.content.decode()


@override_settings(WIDGET_ALLOWED_ORIGINS=["https://www.novaex.example"])
def test_the_frame_can_be_limited_to_the_exchanges_sites(client: Client) -> None:
    policy = client.get("/widget/frame/")["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.novaex.example" in policy


def test_other_pages_cannot_be_framed(client: Client) -> None:
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
