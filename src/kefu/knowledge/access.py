"""Permission-checked lookups of articles: what customers may read and what staff may change."""

from __future__ import annotations

from django.db.models import F, QuerySet

from kefu.accounts.models import User
from kefu.knowledge.models import Article, ArticleStatus, ArticleSuggestion, ArticleVersion
from kefu.lib.errors import NotFound, PermissionDenied


def published_versions() -> QuerySet[ArticleVersion]:
    """The versions the help center shows: one per published article."""
    return ArticleVersion.objects.filter(
        article__status=ArticleStatus.PUBLISHED, article__published_version=F("pk")
    ).select_related("article", "category")


def access_published_version(slug: str) -> ArticleVersion:
    """The published version of the article ``slug``; drafts and archived ones are not found."""
    version = published_versions().filter(article__slug=slug).first()
    if version is None:
        raise NotFound()
    return version


def access_article(user: User, article_id: int) -> Article:
    """An article for the console; every staff member may read and draft."""
    article = (
        Article.objects.select_related("category", "published_version")
        .filter(pk=article_id)
        .first()
    )
    if article is None:
        raise NotFound()
    if not user.is_active:
        raise NotFound()
    return article


def check_can_publish(user: User) -> None:
    """Publishing, unpublishing and reviewing questions is for supervisors and administrators."""
    if not user.sees_all_queues:
        raise PermissionDenied()


def access_suggestion(user: User, suggestion_id: int) -> ArticleSuggestion:
    check_can_publish(user)
    suggestion = ArticleSuggestion.objects.filter(pk=suggestion_id).first()
    if suggestion is None:
        raise NotFound()
    return suggestion
