from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from kefu.accounts import services as accounts
from kefu.accounts.models import AuditLogEntry, User
from kefu.conversations import services
from kefu.conversations.models import Channel, Conversation, Customer, Status

pytestmark = pytest.mark.django_db


def bearer(user: User) -> dict[str, str]:
    _token, plain = accounts.create_api_token(user, "tests")
    return {"Authorization": f"Bearer {plain}"}


def post_json(client: Client, url: str, body: object, headers: dict[str, str] | None = None) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def test_the_openapi_schema_lists_the_endpoints(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/tickets",
        "/api/v1/conversations/{token}",
        "/api/v1/conversations/{token}/messages",
        "/api/v1/widget/session",
        "/api/v1/staff/conversations",
        "/api/v1/staff/conversations/{conversation_id}/replies",
        "/api/v1/staff/conversations/{conversation_id}/assign",
        "/api/v1/staff/conversations/{conversation_id}/status",
    } <= paths


def test_a_customer_opens_a_ticket_and_follows_it(client: Client) -> None:
    response = post_json(
        client,
        "/api/v1/tickets",
        {
            "email": "Bob@Example.com",
            "name": "Bob",
            "subject": "Withdrawal stuck",
            "body": "My BTC withdrawal has been pending for 6 hours",
        },
    )
    assert response.status_code == 201
    ticket = response.json()
    assert ticket["status"] == "open"
    assert ticket["tracking_url"] == f"http://testserver/t/{ticket['tracking_token']}/"
    conversation = Conversation.objects.get(pk=ticket["number"])
    assert conversation.channel == Channel.API and conversation.customer.email == "bob@example.com"

    read = client.get(f"/api/v1/conversations/{ticket['tracking_token']}").json()
    assert read["subject"] == "Withdrawal stuck"
    assert [m["body"] for m in read["messages"]] == [
        "My BTC withdrawal has been pending for 6 hours"
    ]

    url = f"/api/v1/conversations/{ticket['tracking_token']}/messages"
    first = post_json(client, url, {"body": "txid abc", "client_id": "k1"})
    again = post_json(client, url, {"body": "txid abc", "client_id": "k1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "subject": "s", "body": "b"}, "email"),
        ({"email": "a@b.co", "subject": "", "body": "b"}, "subject"),
        ({"email": "a@b.co", "subject": "s", "body": "b", "admin": True}, "admin"),
        ({"email": "a@b.co", "subject": 5, "body": "b"}, "subject"),
    ],
)
def test_bad_tickets_get_a_clear_error_and_store_nothing(
    client: Client, body: object, field: str
) -> None:
    response = post_json(client, "/api/v1/tickets", body)
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "invalid_input" and error["field"] == field
    assert error["message"].startswith(f"{field}:")
    assert not Conversation.objects.exists()


def test_unknown_tracking_tokens_are_not_found(client: Client) -> None:
    response = client.get("/api/v1/conversations/nope")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found."}


def test_staff_endpoints_need_a_valid_token(client: Client, agent: User) -> None:
    assert client.get("/api/v1/staff/conversations").status_code == 401
    response = client.get(
        "/api/v1/staff/conversations", headers={"Authorization": "Bearer kefu_wrong"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_required"
    headers = bearer(agent)
    token = agent.api_tokens.get()
    accounts.revoke_api_token(agent, token.pk)
    assert client.get("/api/v1/staff/conversations", headers=headers).status_code == 401


def test_staff_list_is_newest_first_paged_and_scoped(
    client: Client, agent: User, outsider: User, customer: Customer
) -> None:
    ids = [
        services.start_conversation(
            customer=customer,
            channel=Channel.WIDGET,
            body=f"question {n}",
            queue="deposit_withdrawal",
        ).conversation.pk
        for n in range(5)
    ]
    services.start_conversation(
        customer=customer, channel=Channel.WIDGET, body="trade q", queue="trading"
    )
    headers = bearer(agent)
    page = client.get("/api/v1/staff/conversations?limit=3", headers=headers).json()
    assert [c["id"] for c in page["items"]] == ids[::-1][:3]
    rest = client.get(
        f"/api/v1/staff/conversations?limit=3&cursor={page['next_cursor']}", headers=headers
    ).json()
    assert [c["id"] for c in rest["items"]] == ids[::-1][3:]
    assert rest["next_cursor"] is None
    outsider_view = client.get("/api/v1/staff/conversations", headers=bearer(outsider)).json()
    assert [c["subject"] for c in outsider_view["items"]] == ["trade q"]
    assert (
        client.get(f"/api/v1/staff/conversations/{ids[0]}", headers=bearer(outsider)).status_code
        == 404
    )


def test_the_staff_list_costs_the_same_queries_whatever_its_size(
    client: Client, agent: User, customer: Customer
) -> None:
    headers = bearer(agent)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert (
                client.get("/api/v1/staff/conversations?limit=20", headers=headers).status_code
                == 200
            )
        return len(captured)

    services.start_conversation(
        customer=customer, channel=Channel.WIDGET, body="one", queue="deposit_withdrawal"
    )
    # The first call also records the token's last use (at most once a minute).
    assert count_queries() == 3
    few = count_queries()
    for n in range(25):
        services.start_conversation(
            customer=customer, channel=Channel.WIDGET, body=f"q{n}", queue="deposit_withdrawal"
        )
    assert count_queries() == few
    # the token with its user, then the page (the agent's teams are a subquery)
    assert few == 2


def test_staff_reply_assign_and_status(
    client: Client, agent: User, teammate: User, conversation: Conversation
) -> None:
    headers = bearer(agent)
    base = f"/api/v1/staff/conversations/{conversation.pk}"
    reply = post_json(
        client, f"{base}/replies", {"body": "Checking now", "client_id": "a1"}, headers=headers
    )
    assert reply.status_code == 201
    assert reply.json()["author_type"] == "agent"
    note = post_json(
        client, f"{base}/replies", {"body": "fraud?", "is_internal": True}, headers=headers
    )
    assert note.json()["is_internal"] is True
    public = client.get(f"/api/v1/conversations/{conversation.tracking_token}").json()
    assert "fraud?" not in [m["body"] for m in public["messages"]]

    moved = post_json(
        client, f"{base}/assign", {"assignee_id": teammate.pk}, headers=headers
    ).json()
    assert moved["assignee_id"] == teammate.pk
    done = post_json(client, f"{base}/status", {"status": "resolved"}, headers=headers).json()
    assert done["status"] == "resolved" and done["resolved_at"] is not None
    bad = post_json(client, f"{base}/status", {"status": "gone"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["field"] == "status"
    assert Conversation.objects.get(pk=conversation.pk).status == Status.RESOLVED
    assert AuditLogEntry.objects.filter(actor=agent, target_type="conversation").count() == 4


def test_healthz_reports_database_and_channel_layer(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True and body["channel_layer"]["ok"] is True


def test_healthz_says_which_part_is_down(client: Client) -> None:
    unreachable = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:1/0"}]},
        }
    }
    with override_settings(CHANNEL_LAYERS=unreachable):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is True
    assert body["channel_layer"]["ok"] is False
    assert body["channel_layer"]["error"]


def test_the_api_docs_load_nothing_from_other_sites(client: Client) -> None:
    html = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn." not in html
    assert "<script>" not in html  # no inline script: the Content-Security-Policy forbids it


def put_json(client: Client, url: str, body: object, headers: dict[str, str]) -> Any:
    return client.put(url, json.dumps(body), content_type="application/json", headers=headers)


def test_the_exchange_sets_a_customers_anti_phishing_code_and_phone(
    client: Client, supervisor: User, agent: User
) -> None:
    url = "/api/v1/staff/customers/10004412/contact"
    body = {"anti_phishing_code": "NOVA-7Q", "phone": "+8613800138000"}
    denied = put_json(client, url, body, bearer(agent))
    assert denied.status_code == 403
    assert not Customer.objects.filter(external_id="10004412").exists()
    response = put_json(client, url, body, bearer(supervisor))
    assert response.status_code == 200
    assert response.json() == {
        "external_id": "10004412",
        "anti_phishing_code_set": True,
        "phone": "+8613800138000",
    }
    customer = Customer.objects.get(external_id="10004412")
    assert (customer.anti_phishing_code, customer.phone) == ("NOVA-7Q", "+8613800138000")
    audit = AuditLogEntry.objects.get(action="customer.contact_updated")
    assert "NOVA-7Q" not in json.dumps(audit.after)
    # Leaving the phone out keeps it; a bad number is refused and changes nothing.
    cleared = put_json(client, url, {"anti_phishing_code": ""}, bearer(supervisor))
    assert cleared.status_code == 200
    bad = put_json(client, url, {"phone": "call me"}, bearer(supervisor))
    assert bad.status_code == 422
    customer.refresh_from_db()
    assert (customer.anti_phishing_code, customer.phone) == ("", "+8613800138000")
