"""The console's rule pages: supervisors manage rules, agents do not see them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import console_client
from kefu.accounts.models import AuditLogEntry, User
from kefu.conversations.models import Conversation
from kefu.rules.models import Rule
from kefu.rules.services import apply_rules
from kefu.rules.tests.factories import rule

pytestmark = pytest.mark.django_db


def editor_data(
    name: str = "VIP withdrawals",
    conditions: list[dict[str, Any]] | None = None,
    actions: list[dict[str, Any]] | None = None,
    **fields: str,
) -> dict[str, Any]:
    """What the browser posts: the rule's fields and both formsets, with a blank extra row."""
    conditions = (
        conditions
        if conditions is not None
        else [
            {"field": "vip_tier", "operator": "gte", "value": "3"},
            {"field": "intent", "operator": "in", "value": "withdrawal.pending, withdrawal.failed"},
        ]
    )
    actions = (
        actions
        if actions is not None
        else [{"type": "set_priority", "value": "3"}, {"type": "add_tag", "value": "vip"}]
    )
    data: dict[str, Any] = {"name": name, "match": "all", "is_active": "on", **fields}
    for prefix, rows in (("conditions", [*conditions, {}]), ("actions", [*actions, {}])):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        for index, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{index}-{key}"] = value
    return data


def test_supervisors_create_rules(supervisor: User) -> None:
    client = console_client(supervisor)
    assert client.get(reverse("rules:new")).status_code == 200
    response = client.post(reverse("rules:new"), editor_data(stop_processing="on"))
    assert response.status_code == 302 and response["Location"] == reverse("rules:list")
    made = Rule.objects.get()
    assert (made.name, made.match, made.is_active, made.stop_processing, made.position) == (
        "VIP withdrawals",
        "all",
        True,
        True,
        1,
    )
    assert made.conditions == [
        {"field": "vip_tier", "operator": "gte", "value": 3},
        {"field": "intent", "operator": "in", "value": ["withdrawal.pending", "withdrawal.failed"]},
    ]
    assert made.actions == [
        {"type": "set_priority", "value": 3},
        {"type": "add_tag", "value": "vip"},
    ]
    assert (made.created_by, made.updated_by) == (supervisor, supervisor)
    entry = AuditLogEntry.objects.get(action="rule.created")
    assert (entry.actor, entry.target_type, entry.target_id) == (supervisor, "rule", str(made.pk))
    assert entry.after["actions"] == made.actions


def test_time_rows_keep_their_time_zone_and_calendar(supervisor: User) -> None:
    client = console_client(supervisor)
    conditions = [
        {"field": "hour", "operator": "between", "value": "22-8", "timezone": "Europe/London"},
        {"field": "weekday", "operator": "in", "value": "5,6", "timezone": ""},
    ]
    client.post(reverse("rules:new"), editor_data("Nights", conditions=conditions, match="any"))
    made = Rule.objects.get()
    assert made.match == "any"
    assert made.conditions == [
        {"field": "hour", "operator": "between", "value": [22, 8], "timezone": "Europe/London"},
        {"field": "weekday", "operator": "in", "value": [5, 6], "timezone": "Asia/Shanghai"},
    ]


def test_supervisors_edit_rules_and_the_editor_shows_the_rows(supervisor: User) -> None:
    made = rule(
        "Old name",
        conditions=[{"field": "hour", "operator": "between", "value": "22-8"}],
        actions=[{"type": "add_tag", "value": "night"}],
    )
    client = console_client(supervisor)
    page = client.get(reverse("rules:edit", args=[made.pk])).content.decode()
    assert 'value="22-8"' in page and 'value="night"' in page and 'value="Old name"' in page
    data = editor_data(
        "New name",
        conditions=[{"field": "language", "operator": "is", "value": "zh"}],
        actions=[{"type": "set_queue", "value": "trading"}],
    )
    assert client.post(reverse("rules:edit", args=[made.pk]), data).status_code == 302
    made.refresh_from_db()
    assert made.name == "New name"
    assert made.conditions == [{"field": "language", "operator": "is", "value": "zh"}]
    assert made.actions == [{"type": "set_queue", "value": "trading"}]
    entry = AuditLogEntry.objects.get(action="rule.updated")
    assert entry.before["name"] == "Old name" and entry.after["name"] == "New name"


def test_removed_rows_are_dropped(supervisor: User) -> None:
    client = console_client(supervisor)
    data = editor_data(
        conditions=[
            {"field": "channel", "operator": "is", "value": "telegram"},
            {"field": "intent", "operator": "is", "value": "bogus", "DELETE": "on"},
        ]
    )
    assert client.post(reverse("rules:new"), data).status_code == 302
    assert Rule.objects.get().conditions == [
        {"field": "channel", "operator": "is", "value": "telegram"}
    ]


def test_a_bad_row_is_named_and_nothing_is_saved(supervisor: User) -> None:
    client = console_client(supervisor)
    data = editor_data(
        conditions=[
            {"field": "channel", "operator": "is", "value": "widget"},
            {"field": "intent", "operator": "is", "value": "<b>made.up</b>"},
        ],
        actions=[{"type": "set_queue", "value": "nowhere"}],
    )
    response = client.post(reverse("rules:new"), data, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Condition 2: unknown intent “&lt;b&gt;made.up&lt;/b&gt;”." in page
    assert "Action 1: unknown queue “nowhere”." in page
    assert "<b>made.up</b>" not in page
    assert not Rule.objects.exists()
    assert not AuditLogEntry.objects.filter(action__startswith="rule.").exists()


def test_a_rule_needs_an_action(supervisor: User) -> None:
    client = console_client(supervisor)
    response = client.post(reverse("rules:new"), editor_data(actions=[]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Add at least one action." in response.content.decode()
    assert not Rule.objects.exists()


def test_the_list_in_order_with_counts_and_escaped_names(
    supervisor: User, conversation: Conversation
) -> None:
    first = rule("<script>alert(1)</script>", actions=[{"type": "add_tag", "value": "first"}])
    second = rule(
        "Keywords",
        conditions=[{"field": "keyword", "operator": "contains", "value": "<img src=x>, 被盗"}],
        actions=[{"type": "notify", "value": supervisor.pk}],
    )
    apply_rules(conversation.pk, now=datetime(2024, 1, 8, 3, 0, tzinfo=UTC))
    page = console_client(supervisor).get(reverse("rules:list"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert (
        "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    )
    assert "<img src=x>" not in html and "“&lt;img src=x&gt;”, “被盗”" in html
    assert html.index(f'id="rule-{first.pk}"') < html.index(f'id="rule-{second.pk}"')
    assert "2024-01-08 03:00" in html
    assert f"notify {supervisor.public_name}" in html
    assert "tag “first”" in html


def _page_queries(context: CaptureQueriesContext) -> list[str]:
    """The list's own queries (sessions, presence and the brand come and go with caching)."""
    own = ('"rules_rule"', '"conversations_cannedresponse"', '"routing_businesscalendar"')
    return [
        query["sql"]
        for query in context.captured_queries
        if any(table in query["sql"] for table in own)
        or ('FROM "accounts_user"' in query["sql"] and "WHERE" not in query["sql"])
    ]


def test_the_list_costs_the_same_queries_for_more_rules(supervisor: User) -> None:
    client = console_client(supervisor)
    rule("One")
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("rules:list"))
    for name in ("Two", "Three", "Four"):
        rule(name, actions=[{"type": "notify", "value": "team"}])
    with CaptureQueriesContext(connection) as four:
        client.get(reverse("rules:list"))
    # The rules, canned responses, staff names and calendars: one query each.
    assert len(_page_queries(one)) == len(_page_queries(four)) == 4


def test_supervisors_switch_rules_off_and_on(supervisor: User) -> None:
    made = rule("Toggle")
    client = console_client(supervisor)
    client.post(reverse("rules:active", args=[made.pk]), {"is_active": "0"})
    made.refresh_from_db()
    assert made.is_active is False
    client.post(reverse("rules:active", args=[made.pk]), {"is_active": "1"})
    made.refresh_from_db()
    assert made.is_active is True
    assert list(
        AuditLogEntry.objects.filter(target_type="rule")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["rule.created", "rule.deactivated", "rule.activated"]


def test_supervisors_move_rules(supervisor: User) -> None:
    first, second, third = rule("A"), rule("B"), rule("C")
    client = console_client(supervisor)
    client.post(reverse("rules:move", args=[third.pk]), {"direction": "up"})
    assert list(Rule.objects.values_list("name", flat=True)) == ["A", "C", "B"]
    client.post(reverse("rules:move", args=[first.pk]), {"direction": "down"})
    assert list(Rule.objects.values_list("name", flat=True)) == ["C", "A", "B"]
    client.post(reverse("rules:move", args=[third.pk]), {"direction": "up"})
    assert list(Rule.objects.values_list("name", flat=True)) == ["C", "A", "B"]
    assert (
        client.post(reverse("rules:move", args=[third.pk]), {"direction": "left"}).status_code
        == 400
    )
    moved = AuditLogEntry.objects.filter(action="rule.moved").order_by("pk")
    assert [(e.target_id, e.before, e.after) for e in moved] == [
        (str(third.pk), {"position": 3}, {"position": 2}),
        (str(first.pk), {"position": 1}, {"position": 2}),
    ]
    assert second.pk in Rule.objects.values_list("pk", flat=True)


def test_supervisors_delete_rules_after_confirming(supervisor: User) -> None:
    made = rule("<i>Doomed</i>")
    client = console_client(supervisor)
    confirm = client.get(reverse("rules:delete", args=[made.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Delete the rule “&lt;i&gt;Doomed&lt;/i&gt;”?" in confirm.content.decode()
    assert Rule.objects.filter(pk=made.pk).exists()
    assert client.post(reverse("rules:delete", args=[made.pk])).status_code == 302
    assert not Rule.objects.exists()
    entry = AuditLogEntry.objects.get(action="rule.deleted")
    assert (entry.actor, entry.target_id, entry.before["name"]) == (
        supervisor,
        str(made.pk),
        "<i>Doomed</i>",
    )


def test_agents_get_not_found_and_change_nothing(agent_client: Client) -> None:
    made = rule("Kept")
    before = list(Rule.objects.values())
    audit_rows = AuditLogEntry.objects.count()
    requests = [
        ("get", reverse("rules:list"), {}),
        ("get", reverse("rules:new"), {}),
        ("post", reverse("rules:new"), editor_data()),
        ("get", reverse("rules:edit", args=[made.pk]), {}),
        ("post", reverse("rules:edit", args=[made.pk]), editor_data("Stolen")),
        ("post", reverse("rules:active", args=[made.pk]), {"is_active": "0"}),
        ("post", reverse("rules:move", args=[made.pk]), {"direction": "down"}),
        ("get", reverse("rules:delete", args=[made.pk]), {}),
        ("post", reverse("rules:delete", args=[made.pk]), {}),
    ]
    for method, url, data in requests:
        assert getattr(agent_client, method)(url, data).status_code == 404, url
    missing = console_client(User.objects.get(username="agent")).get("/console/rules/999/edit/")
    assert missing.status_code == 404
    assert list(Rule.objects.values()) == before
    assert AuditLogEntry.objects.count() == audit_rows
    assert (
        'href="/console/rules/"'
        not in agent_client.get(reverse("conversations:inbox")).content.decode()
    )


def test_a_missing_rule_is_not_found_for_supervisors(supervisor: User) -> None:
    client = console_client(supervisor)
    assert client.get(reverse("rules:edit", args=[999])).status_code == 404
    assert client.post(reverse("rules:delete", args=[999])).status_code == 404


def test_the_console_nav_links_to_rules_for_supervisors(supervisor: User) -> None:
    page = console_client(supervisor).get(reverse("conversations:inbox")).content.decode()
    assert f'href="{reverse("rules:list")}"' in page


def test_the_timeline_shows_fired_rules_and_tags_escaped(
    supervisor: User, conversation: Conversation
) -> None:
    rule(
        "<b>VIP</b> rule",
        actions=[{"type": "set_priority", "value": 4}, {"type": "add_tag", "value": "vip"}],
    )
    apply_rules(conversation.pk, now=datetime(2024, 1, 8, 3, 0, tzinfo=UTC))
    page = console_client(supervisor).get(
        reverse("conversations:detail", args=[conversation.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    html = page.content.decode()
    assert "<b>VIP</b>" not in html
    assert "Rule applied: “&lt;b&gt;VIP&lt;/b&gt; rule” · priority → Urgent; tag “vip”" in html
    assert "Tag added: vip · by the rule “&lt;b&gt;VIP&lt;/b&gt; rule”" in html


def test_pages_in_chinese(supervisor: User) -> None:
    rule("VIP")
    page = console_client(supervisor).get(reverse("rules:list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert "新建规则" in html and "tag “hit”" not in html
