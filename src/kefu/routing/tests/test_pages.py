"""Routing pages: presence, notifications, the SLA board, agents, policies, calendars, tags."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import console_client
from kefu.accounts.models import AuditLogEntry, User
from kefu.conversations.models import ConversationTag, Priority
from kefu.routing import services as routing
from kefu.routing.models import AgentProfile, BusinessCalendar, Holiday, Presence, SlaPolicy
from kefu.routing.tests.factories import customer_named, policy, ticket

pytestmark = pytest.mark.django_db

SUPERVISOR_PAGES: list[tuple[str, dict[str, int]]] = [
    ("routing:sla_board", {}),
    ("routing:agents", {}),
    ("routing:sla_policies", {}),
    ("routing:new_sla_policy", {}),
    ("routing:new_calendar", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), SUPERVISOR_PAGES)
def test_agent_pages_are_for_supervisors(
    supervisor: User, agent: User, name: str, kwargs: dict[str, int]
) -> None:
    url = reverse(name, kwargs=kwargs)
    assert console_client(supervisor).get(url).status_code == 200
    assert console_client(agent).get(url).status_code == 404


def test_an_agent_sets_presence_from_the_header(agent: User) -> None:
    client = console_client(agent)
    page = client.get(reverse("conversations:inbox")).content.decode()
    assert 'id="presence-select"' in page

    response = client.post(
        reverse("routing:presence"), {"presence": "online"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert AgentProfile.objects.get(user=agent).presence == Presence.ONLINE
    assert client.post(reverse("routing:presence"), {"presence": "asleep"}).status_code == 302
    assert AgentProfile.objects.get(user=agent).presence == Presence.ONLINE


def test_the_sidebar_explains_priority_and_shows_due_times_and_tags(agent: User) -> None:
    policy(first_response_seconds=600)
    conversation = ticket(
        customer_named("<b>x</b>", vip_tier=2), intent="withdrawal.failed", signals=["stolen"]
    )
    routing.route_conversation(conversation.pk)
    client = console_client(agent)
    client.post(reverse("routing:tags", args=[conversation.pk]), {"tag": "<script>"})
    client.post(reverse("routing:tags", args=[conversation.pk]), {"tag": "vip-watch"})

    page = client.get(reverse("conversations:detail", args=[conversation.pk])).content.decode()

    assert "+25 topic: Withdrawal failed" in page
    assert "+30 urgency signal: says funds were stolen or are missing" in page
    assert "+10 VIP tier: VIP 2" in page
    assert "First response" in page and "due in" in page
    assert list(ConversationTag.objects.values_list("name", flat=True)) == ["vip-watch"]
    assert "<b>x</b>" not in page

    client.post(reverse("routing:tags", args=[conversation.pk]), {"remove": "vip-watch"})
    assert not ConversationTag.objects.exists()


def test_the_sidebar_speaks_chinese(supervisor: User) -> None:
    conversation = ticket(customer_named("z"), intent="security.unauthorized_access")
    routing.route_conversation(conversation.pk)
    client = console_client(supervisor)
    client.cookies["django_language"] = "zh-hans"

    page = client.get(
        reverse("conversations:detail", args=[conversation.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()

    assert "+60 主题: 账户被盗/异常登录" in page


def test_a_supervisor_edits_an_agent_s_routing_profile(supervisor: User, agent: User) -> None:
    response = console_client(supervisor).post(
        reverse("routing:agent_profile", args=[agent.pk]),
        {
            "teams": ["deposit_withdrawal", "account_security"],
            "languages": ["zh", "en"],
            "seniority": 3,
            "chat_capacity": 6,
            "ticket_capacity": 30,
            "skill_account_security": 3,
        },
    )

    assert response.status_code == 302
    profile = AgentProfile.objects.get(user=agent)
    assert (profile.seniority, profile.chat_capacity, profile.ticket_capacity) == (3, 6, 30)
    assert profile.skill_in("account_security") == 3
    agent.refresh_from_db()
    assert sorted(agent.teams.values_list("queue", flat=True)) == [
        "account_security",
        "deposit_withdrawal",
    ]
    assert agent.languages_spoken == ["zh", "en"]
    assert AuditLogEntry.objects.filter(action="routing.profile_changed", actor=supervisor).exists()


def test_an_agent_cannot_edit_profiles(agent: User, teammate: User) -> None:
    response = console_client(agent).post(
        reverse("routing:agent_profile", args=[teammate.pk]),
        {
            "teams": [],
            "languages": ["en"],
            "seniority": 1,
            "chat_capacity": 50,
            "ticket_capacity": 1,
        },
    )
    assert response.status_code == 404
    assert not AgentProfile.objects.filter(user=teammate, chat_capacity=50).exists()


def test_a_supervisor_writes_an_sla_policy_and_business_hours(supervisor: User) -> None:
    client = console_client(supervisor)
    response = client.post(
        reverse("routing:new_calendar"),
        {"name": "Office", "timezone": "Asia/Shanghai", "day_0": "09:00-12:00, 13:00-18:00"},
    )
    calendar = BusinessCalendar.objects.get()
    assert response.status_code == 302
    assert calendar.hours["0"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    bad = client.post(
        reverse("routing:new_calendar"),
        {"name": "Bad", "timezone": "Mars/Base", "day_0": "18:00-09:00"},
    )
    assert bad.status_code == 200 and BusinessCalendar.objects.count() == 1
    client.post(
        reverse("routing:holidays", args=[calendar.pk]), {"date": "2027-02-17", "name": "春节"}
    )
    assert Holiday.objects.get().name == "春节"

    response = client.post(
        reverse("routing:new_sla_policy"),
        {
            "name": "Urgent",
            "position": 1,
            "is_active": "on",
            "priority": Priority.URGENT,
            "channel": "",
            "warning_percent": 75,
            "calendar": calendar.pk,
            "first_response_minutes": 5,
            "next_response_minutes": 10,
            "resolution_minutes": 240,
            "escalation_step_minutes": 15,
        },
    )

    assert response.status_code == 302
    saved = SlaPolicy.objects.get()
    assert (saved.first_response_seconds, saved.resolution_seconds) == (300, 14400)
    assert saved.calendar_id == calendar.pk
    assert AuditLogEntry.objects.filter(action="routing.sla_policy_created").count() == 1


def test_notifications_are_listed_and_marked_read(agent: User) -> None:
    from kefu.routing.models import NotificationKind
    from kefu.routing.notifications import notify, unread_count

    conversation = ticket(customer_named("a"), intent="deposit.not_credited")
    notify(
        [agent],
        NotificationKind.SLA_BREACHED,
        conversation_id=conversation.pk,
        data={"metric": "first_response"},
    )
    client = console_client(agent)

    page = client.get(reverse("routing:notifications")).content.decode()
    assert f"Conversation #{conversation.pk}: first response is overdue." in page
    client.post(reverse("routing:notifications"))
    assert unread_count(agent) == 0


def test_the_waiting_list_is_in_serving_order_and_limited_to_one_s_teams(
    agent: User, outsider: User
) -> None:
    low = ticket(customer_named("a"), intent="deposit.how_to")
    urgent = ticket(customer_named("b"), intent="security.unauthorized_access")
    routing.route_conversation(low.pk)
    routing.route_conversation(urgent.pk)
    elsewhere = ticket(customer_named("c"), intent="deposit.not_credited")
    routing.route_conversation(elsewhere.pk)

    agent_page = console_client(agent).get(reverse("routing:waiting")).content.decode()
    assert f'id="waiting-{low.pk}"' in agent_page
    assert f'id="waiting-{urgent.pk}"' not in agent_page  # account security, not theirs
    assert agent_page.index(f'id="waiting-{elsewhere.pk}"') < agent_page.index(
        f'id="waiting-{low.pk}"'
    )
    assert (
        f'id="waiting-{low.pk}"'
        not in console_client(outsider).get(reverse("routing:waiting")).content.decode()
    )


def test_the_api_explains_routing_and_sets_presence(agent: User) -> None:
    from django.test import Client

    from kefu.accounts import services as accounts

    _token, plain = accounts.create_api_token(agent, name="bot")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    conversation = ticket(customer_named("a"), intent="withdrawal.failed", signals=["stolen"])
    waiting = ticket(customer_named("b"), intent="deposit.how_to")

    assert client.get(f"/api/v1/staff/conversations/{conversation.pk}/routing").status_code == 404
    routing.route_conversation(conversation.pk)
    body = client.get(f"/api/v1/staff/conversations/{conversation.pk}/routing").json()

    assert body["priority_score"] == 55
    assert [r["text"] for r in body["reasons"]] == [
        "+25 topic: Withdrawal failed",
        "+30 urgency signal: says funds were stolen or are missing",
    ]
    queues = {q["queue"]: q for q in client.get("/api/v1/staff/queues").json()}
    assert queues["deposit_withdrawal"]["waiting"] == 1
    response = client.put(
        "/api/v1/staff/presence", {"presence": "online"}, content_type="application/json"
    )
    assert response.json()["presence"] == "online"
    refused = client.put(
        "/api/v1/staff/presence", {"presence": "busy"}, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["field"]) == (400, "presence")
    waiting.refresh_from_db()
    assert waiting.assignee_id is None  # never routed: it waits for the language model
    conversation.refresh_from_db()
    assert conversation.assignee_id == agent.pk  # going online served the queue
    assert Client().get("/api/v1/staff/queues").status_code == 401
