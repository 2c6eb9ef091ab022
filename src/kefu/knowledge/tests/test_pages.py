"""The help center (customers) and the knowledge-base editor (staff)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import console_client
from kefu.accounts.models import AuditLogEntry, User
from kefu.knowledge.models import (
    Article,
    ArticleFeedback,
    ArticleStatus,
    ArticleSuggestion,
    SuggestionStatus,
)
from kefu.knowledge.services import submit_suggestion
from kefu.knowledge.tests.factories import article, category

pytestmark = pytest.mark.django_db


def editor_form(**changes: str) -> dict[str, object]:
    form: dict[str, object] = {
        "slug": "withdrawal-review",
        "category": "deposits",
        "intents": ["withdrawal.pending"],
        "title_en": "Why is my withdrawal under review?",
        "title_zh": "为什么我的提现在审核中？",
        "summary_en": "Reviews protect your funds.",
        "summary_zh": "审核是为了保护您的资金。",
        "steps_en": "Wait for the email.\nCheck the status.",
        "steps_zh": "等待邮件。\n查看状态。",
        "body_en": "Most reviews finish within an hour.",
        "body_zh": "大多数审核在一小时内完成。",
        "tags_en": "withdrawal, review",
        "tags_zh": "提现，审核",
        "note": "",
    }
    form.update(changes)
    return form


def test_help_center_pages_in_both_languages(client: Client) -> None:
    published = article(steps_en=("Open **Assets → History** <script>alert(1)</script>.",))
    article(slug="draft-only", title_en="A secret draft", title_zh="草稿文章", publish=False)
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Deposits" in home.content.decode()
    page = client.get(
        reverse("knowledge:article", args=[published.slug]), HTTP_ACCEPT_LANGUAGE="en"
    )
    text = page.content.decode()
    assert "Why hasn&#x27;t my deposit arrived?" in text
    assert "<strong>confirmations</strong>" in text
    assert "Open <strong>Assets → History</strong>" in text
    assert "<script>alert(1)</script>" not in text
    chinese = client.get(
        reverse("knowledge:article", args=[published.slug]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert "充值为什么还没到账？" in chinese.content.decode()
    category = client.get(
        reverse("knowledge:category", args=["deposits"]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert published.title_en.replace("'", "&#x27;") in category.content.decode()
    assert "A secret draft" not in category.content.decode()
    assert client.get(reverse("knowledge:article", args=["draft-only"])).status_code == 404


def test_helpful_votes_count_for_the_version_read(client: Client, supervisor: User) -> None:
    first = article()
    url = reverse("knowledge:feedback", args=[first.slug])
    assert client.post(url, {"version": 1, "helpful": "yes"}).status_code == 200
    client.post(url, {"version": 1, "helpful": "no", "comment": "<b>missing</b> the fee"})
    article(supervisor, edit=first, title_en="Why hasn't my deposit arrived yet?")
    client.post(url, {"version": 2, "helpful": "no"})
    versions = {v.number: v for v in Article.objects.get().versions.all()}
    assert (versions[1].helpful_yes, versions[1].helpful_no) == (1, 1)
    assert (versions[2].helpful_yes, versions[2].helpful_no) == (0, 1)
    assert ArticleFeedback.objects.filter(comment="<b>missing</b> the fee").exists()
    assert client.post(url, {"version": 1, "helpful": "maybe"}).status_code == 400


def test_search_page_escapes_the_query_and_offers_to_ask(client: Client) -> None:
    article()
    response = client.get(reverse("knowledge:search"), {"q": "<script>alert(1)</script> deposit"})
    text = response.content.decode()
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;" in text
    assert reverse("knowledge:ask") in text


def test_a_customer_question_reaches_the_review_queue(client: Client, supervisor: User) -> None:
    category()
    response = client.post(
        reverse("knowledge:ask"),
        {
            "question": "Do you support the TON network for USDT?",
            "email": "a@example.com",
            "search_query": "ton usdt",
        },
    )
    assert response.status_code == 200
    suggestion = ArticleSuggestion.objects.get()
    assert suggestion.status == SuggestionStatus.PENDING
    staff = console_client(supervisor)
    queue = staff.get(reverse("knowledge:console_questions"))
    assert "Do you support the TON network for USDT?" in queue.content.decode()
    # Writing the article from the question closes it, linked to the new article.
    staff.post(
        reverse("knowledge:console_new") + f"?suggestion={suggestion.pk}",
        {**editor_form(), "suggestion": suggestion.pk, "publish": "1"},
    )
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.CONVERTED
    assert suggestion.article is not None and suggestion.article.slug == "withdrawal-review"
    other = submit_suggestion("spam spam", language="en")
    staff.post(
        reverse("knowledge:console_review", args=[other.pk]),
        {"reason": "not a question", "reject": "1"},
    )
    other.refresh_from_db()
    assert (other.status, other.reason) == (SuggestionStatus.REJECTED, "not a question")


def test_editor_drafts_publishes_and_rolls_back(supervisor: User, agent: User) -> None:
    article()  # makes the category
    staff = console_client(supervisor)
    staff.post(reverse("knowledge:console_new"), {**editor_form(), "publish": "1"})
    created = Article.objects.get(slug="withdrawal-review")
    assert created.status == ArticleStatus.PUBLISHED
    assert created.published_version is not None and created.published_version.number == 1
    # An agent may draft a change; the help center keeps showing version 1.
    drafter = console_client(agent)
    drafter.post(
        reverse("knowledge:console_edit", args=[created.pk]),
        {**editor_form(title_en="Withdrawal reviews, explained"), "draft": "1"},
    )
    created.refresh_from_db()
    assert created.latest_number == 2 and created.published_version.number == 1
    assert (
        "under review"
        in Client()
        .get(reverse("knowledge:article", args=[created.slug]), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    # Agents cannot publish; supervisors can, and can go back to version 1.
    refused = drafter.post(reverse("knowledge:console_publish", args=[created.pk]), {"version": 2})
    assert refused.status_code == 403
    staff.post(reverse("knowledge:console_publish", args=[created.pk]), {"version": 2})
    created.refresh_from_db()
    assert created.published_version.number == 2
    staff.post(reverse("knowledge:console_publish", args=[created.pk]), {"version": 1})
    created.refresh_from_db()
    assert created.published_version.number == 1
    history = staff.get(reverse("knowledge:console_history", args=[created.pk])).content.decode()
    assert "v2" in history and "v1" in history
    actions = list(
        AuditLogEntry.objects.filter(target_type="article", target_id=str(created.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions.count("kb.article_published") == 3
    assert "kb.article_saved" in actions


def test_editor_shows_field_errors_and_keeps_input(supervisor: User) -> None:
    article()
    staff = console_client(supervisor)
    response = staff.post(
        reverse("knowledge:console_new"), {**editor_form(title_zh="English only"), "publish": "1"}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Chinese title must be in Chinese" in text
    assert "Most reviews finish within an hour." in text
    assert not Article.objects.filter(slug="withdrawal-review").exists()


def test_archiving_hides_an_article(supervisor: User, client: Client) -> None:
    published = article()
    console_client(supervisor).post(
        reverse("knowledge:console_status", args=[published.pk]), {"status": "archived"}
    )
    assert client.get(reverse("knowledge:article", args=[published.slug])).status_code == 404
