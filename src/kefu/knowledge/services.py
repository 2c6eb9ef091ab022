"""Every change to the knowledge base: saving and publishing articles (each save a new version),
customers' votes and questions, and loading the content files the demo ships."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.events import record_audit
from kefu.accounts.models import User
from kefu.knowledge import search
from kefu.knowledge.content import (
    CONTENT_DIR,
    ArticleContent,
    check_article_content,
    read_content,
    render_markdown,
)
from kefu.knowledge.errors import ArticleInvalid, SuggestionClosed
from kefu.knowledge.models import (
    COMMENT_MAX,
    QUESTION_MAX,
    Article,
    ArticleFeedback,
    ArticleStatus,
    ArticleSuggestion,
    ArticleVersion,
    Category,
    SuggestionStatus,
)
from kefu.lib.language import normalise_language


def content_of(version: ArticleVersion) -> ArticleContent:
    """The content a version holds, in the shape editors and the loader use."""
    return ArticleContent(
        slug=version.article.slug,
        category=version.category.slug,
        intents=tuple(version.intents),
        video_url=version.video_url,
        title_en=version.title_en,
        title_zh=version.title_zh,
        summary_en=version.summary_en,
        summary_zh=version.summary_zh,
        body_en=version.body_en,
        body_zh=version.body_zh,
        steps_en=tuple(version.steps_en),
        steps_zh=tuple(version.steps_zh),
        tags_en=tuple(version.tags_en),
        tags_zh=tuple(version.tags_zh),
    )


def latest_version(article: Article) -> ArticleVersion | None:
    return article.versions.select_related("category", "article").order_by("-number").first()


def save_article(
    actor: User | None,
    content: ArticleContent,
    *,
    publish: bool,
    note: str = "",
    article_id: int | None = None,
    ip_address: str | None = None,
) -> Article:
    """Save ``content`` as the article's next version (a new article without ``article_id``).

    With ``publish`` the new version is what the help center shows; without it, it is a draft
    and the help center keeps showing the published version. Saving content identical to the
    newest version adds no version (publishing it if asked).
    """
    content = check_article_content(content)
    category = Category.objects.filter(slug=content.category).first()
    if category is None:
        raise ArticleInvalid(_("Unknown category."), field="category")
    with transaction.atomic():
        if article_id is None:
            if Article.objects.filter(slug=content.slug).exists():
                raise ArticleInvalid(_("An article with this slug exists."), field="slug")
            article = Article.objects.create(
                slug=content.slug,
                category=category,
                intents=list(content.intents),
                title_en=content.title_en,
                title_zh=content.title_zh,
            )
            newest = None
        else:
            article = Article.objects.select_for_update().get(pk=article_id)
            if content.slug != article.slug:
                raise ArticleInvalid(_("The slug of an article cannot change."), field="slug")
            newest = latest_version(article)
        if newest is not None and content_of(newest) == content:
            version = newest
        else:
            version = ArticleVersion.objects.create(
                article=article,
                number=article.latest_number + 1,
                category=category,
                intents=list(content.intents),
                video_url=content.video_url,
                title_en=content.title_en,
                title_zh=content.title_zh,
                summary_en=content.summary_en,
                summary_zh=content.summary_zh,
                body_en=content.body_en,
                body_zh=content.body_zh,
                html_en=render_markdown(content.body_en),
                html_zh=render_markdown(content.body_zh),
                steps_en=list(content.steps_en),
                steps_zh=list(content.steps_zh),
                tags_en=list(content.tags_en),
                tags_zh=list(content.tags_zh),
                note=note[:200],
                author=actor,
            )
            article.latest_number = version.number
            article.category = category
            article.intents = list(content.intents)
            article.title_en, article.title_zh = content.title_en, content.title_zh
            record_audit(
                actor,
                "kb.article_saved",
                target_type="article",
                target_id=article.pk,
                after={"slug": article.slug, "version": version.number, "note": note[:200]},
                ip_address=ip_address,
            )
        if publish and article.published_version_id != version.pk:
            _publish(actor, article, version, ip_address=ip_address)
        article.save()
        search.changed()
    return article


def publish_version(
    actor: User, article_id: int, number: int, *, ip_address: str | None = None
) -> Article:
    """Make version ``number`` the one the help center shows (also to roll back to it)."""
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article_id)
        version = article.versions.get(number=number)
        _publish(actor, article, version, ip_address=ip_address)
        article.save()
        search.changed()
    return article


def _publish(
    actor: User | None, article: Article, version: ArticleVersion, *, ip_address: str | None
) -> None:
    before = article.published_version.number if article.published_version else None
    article.published_version = version
    article.status = ArticleStatus.PUBLISHED
    record_audit(
        actor,
        "kb.article_published",
        target_type="article",
        target_id=article.pk,
        before={"version": before},
        after={"slug": article.slug, "version": version.number},
        ip_address=ip_address,
    )


def set_article_status(
    actor: User, article_id: int, status: ArticleStatus, *, ip_address: str | None = None
) -> Article:
    """Unpublish (back to draft) or archive an article; the help center stops showing it."""
    if status == ArticleStatus.PUBLISHED:
        raise ArticleInvalid(_("Publish a version instead."), field="status")
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article_id)
        before = article.status
        article.status = status
        article.published_version = None
        article.save()
        search.changed()
        record_audit(
            actor,
            "kb.article_status",
            target_type="article",
            target_id=article.pk,
            before={"status": before},
            after={"status": str(status)},
            ip_address=ip_address,
        )
    return article


# --- customers --------------------------------------------------------------------------------


def record_feedback(
    version: ArticleVersion, *, helpful: bool, comment: str = "", language: str = "en"
) -> ArticleFeedback:
    """Count one "was this helpful?" answer for the version the customer read."""
    comment = comment.replace("\x00", "").strip()[:COMMENT_MAX]
    with transaction.atomic():
        counter = "helpful_yes" if helpful else "helpful_no"
        ArticleVersion.objects.filter(pk=version.pk).update(**{counter: F(counter) + 1})
        return ArticleFeedback.objects.create(
            version=version, helpful=helpful, comment=comment, language=language[:8]
        )


def submit_suggestion(
    question: str, *, language: str, email: str = "", search_query: str = ""
) -> ArticleSuggestion:
    """A customer's question the help center did not answer, queued for staff review."""
    question = question.replace("\x00", "").strip()
    if not question:
        raise ArticleInvalid(_("Write your question."), field="question")
    if len(question) > QUESTION_MAX:
        raise ArticleInvalid(
            _("At most %(limit)d characters.") % {"limit": QUESTION_MAX}, field="question"
        )
    return ArticleSuggestion.objects.create(
        question=question,
        language=normalise_language(language),
        email=email.strip()[:254],
        search_query=search_query.replace("\x00", "").strip()[:200],
    )


def review_suggestion(
    actor: User,
    suggestion_id: int,
    *,
    article_id: int | None = None,
    reason: str = "",
    ip_address: str | None = None,
) -> ArticleSuggestion:
    """Close a suggestion: answered by ``article_id``, or rejected with ``reason``."""
    with transaction.atomic():
        suggestion = ArticleSuggestion.objects.select_for_update().get(pk=suggestion_id)
        if suggestion.status != SuggestionStatus.PENDING:
            raise SuggestionClosed()
        if article_id is not None:
            suggestion.article = Article.objects.get(pk=article_id)
            suggestion.status = SuggestionStatus.CONVERTED
        else:
            suggestion.status = SuggestionStatus.REJECTED
        suggestion.reason = reason.strip()[:300]
        suggestion.reviewed_by = actor
        suggestion.reviewed_at = timezone.now()
        suggestion.save()
        record_audit(
            actor,
            f"kb.suggestion_{suggestion.status}",
            target_type="article_suggestion",
            target_id=suggestion.pk,
            after={"article": article_id, "reason": suggestion.reason},
            ip_address=ip_address,
        )
    return suggestion


# --- content files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadReport:
    categories: int
    created: int
    updated: int
    unchanged: int


def load_content(directory: Path = CONTENT_DIR, *, actor: User | None = None) -> LoadReport:
    """Load the content files into the knowledge base and publish them.

    An article whose newest version already holds the file's content is left alone, so loading
    twice changes nothing; one edited in the console since is given a new version from the file.
    """
    content = read_content(directory)
    for position, category in enumerate(content.categories):
        Category.objects.update_or_create(
            slug=category.slug,
            defaults={
                "name_en": category.name_en,
                "name_zh": category.name_zh,
                "description_en": category.description_en,
                "description_zh": category.description_zh,
                "position": position,
            },
        )
    existing = {article.slug: article for article in Article.objects.all()}
    created = updated = unchanged = 0
    for item in content.articles:
        article = existing.get(item.slug)
        if article is None:
            save_article(actor, item, publish=True, note="content files")
            created += 1
            continue
        newest = latest_version(article)
        if (
            newest is not None
            and content_of(newest) == item
            and not article.has_unpublished_changes
        ):
            unchanged += 1
            continue
        save_article(actor, item, publish=True, note="content files", article_id=article.pk)
        updated += 1
    return LoadReport(len(content.categories), created, updated, unchanged)
