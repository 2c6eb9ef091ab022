"""The knowledge base: categories, bilingual articles with a version history, customers'
"was this helpful?" votes and the questions they could not find answered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kefu.lib.language import normalise_language

SLUG_MAX = 80
TITLE_MAX = 200
SUMMARY_MAX = 500
BODY_MAX = 30_000
MAX_STEPS = 20
MAX_TAGS = 20
STEP_MAX = 500
TAG_MAX = 40
COMMENT_MAX = 1000
QUESTION_MAX = 1000


def _zh() -> bool:
    return normalise_language(get_language()) == "zh"


class Category(models.Model):
    """A help-center section (deposits, withdrawals, account security ...)."""

    slug = models.SlugField(_("slug"), max_length=SLUG_MAX, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    description_en = models.CharField(_("description (English)"), max_length=300, blank=True)
    description_zh = models.CharField(_("description (Chinese)"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if _zh() else self.name_en

    @property
    def description(self) -> str:
        return self.description_zh if _zh() else self.description_en


@dataclass(frozen=True)
class Localised:
    """The text of one article version in one language."""

    language: str
    title: str
    summary: str
    body: str
    html: str
    steps: list[str]
    tags: list[str]


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Article(models.Model):
    """One help article in Chinese and English.

    Its content lives in :class:`ArticleVersion` rows; every save adds one. The help center shows
    ``published_version``; staff edit the newest version, which may be a draft ahead of it.
    The title, category and intents here are the newest version's, for lists and routing.
    """

    slug = models.SlugField(_("slug"), max_length=SLUG_MAX, unique=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="articles", verbose_name=_("category")
    )
    intents: models.JSONField[Any] = models.JSONField(_("intents"), default=list)
    title_en = models.CharField(_("title (English)"), max_length=TITLE_MAX)
    title_zh = models.CharField(_("title (Chinese)"), max_length=TITLE_MAX)
    status = models.CharField(
        _("status"), max_length=12, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    latest_number = models.PositiveIntegerField(default=0)
    published_version = models.ForeignKey(
        "ArticleVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("published version"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category__position", "slug"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return self.title_zh if _zh() else self.title_en

    @property
    def has_unpublished_changes(self) -> bool:
        published = self.published_version
        return published is None or published.number != self.latest_number


class ArticleVersion(models.Model):
    """One saved state of an article, both languages, with who saved it and the votes it got."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="versions", verbose_name=_("article")
    )
    number = models.PositiveIntegerField(_("version"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    intents: models.JSONField[Any] = models.JSONField(_("intents"), default=list)
    video_url = models.URLField(_("video link"), blank=True)
    title_en = models.CharField(_("title (English)"), max_length=TITLE_MAX)
    title_zh = models.CharField(_("title (Chinese)"), max_length=TITLE_MAX)
    summary_en = models.CharField(_("summary (English)"), max_length=SUMMARY_MAX, blank=True)
    summary_zh = models.CharField(_("summary (Chinese)"), max_length=SUMMARY_MAX, blank=True)
    body_en = models.TextField(_("body (English)"), max_length=BODY_MAX, blank=True)
    body_zh = models.TextField(_("body (Chinese)"), max_length=BODY_MAX, blank=True)
    html_en = models.TextField(editable=False, blank=True)
    html_zh = models.TextField(editable=False, blank=True)
    steps_en: models.JSONField[Any] = models.JSONField(_("steps (English)"), default=list)
    steps_zh: models.JSONField[Any] = models.JSONField(_("steps (Chinese)"), default=list)
    tags_en: models.JSONField[Any] = models.JSONField(_("tags (English)"), default=list)
    tags_zh: models.JSONField[Any] = models.JSONField(_("tags (Chinese)"), default=list)
    note = models.CharField(_("change note"), max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)
    # The search's embeddings of this version's passages (kefu.knowledge.search), and what they
    # were computed from; filled by the first process that needs them.
    vectors = models.BinaryField(null=True, editable=False)
    vectors_of = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_version_unique")
        ]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")

    def __str__(self) -> str:
        return f"{self.article.slug} v{self.number}"

    def in_language(self, language: str) -> Localised:
        """This version's text in ``language`` (``zh`` or ``en``)."""
        zh = normalise_language(language) == "zh"
        return Localised(
            language="zh" if zh else "en",
            title=self.title_zh if zh else self.title_en,
            summary=self.summary_zh if zh else self.summary_en,
            body=self.body_zh if zh else self.body_en,
            html=self.html_zh if zh else self.html_en,
            steps=list(self.steps_zh if zh else self.steps_en),
            tags=list(self.tags_zh if zh else self.tags_en),
        )

    @property
    def localised(self) -> Localised:
        return self.in_language("zh" if _zh() else "en")

    @property
    def both_languages(self) -> tuple[Localised, Localised]:
        return self.in_language("en"), self.in_language("zh")


class ArticleFeedback(models.Model):
    """One customer's answer to "was this helpful?", for the version they read."""

    version = models.ForeignKey(ArticleVersion, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX, blank=True)
    language = models.CharField(_("language"), max_length=8)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")

    def __str__(self) -> str:
        return f"{self.version}: {'yes' if self.helpful else 'no'}"


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    CONVERTED = "converted", _("Answered by an article")
    REJECTED = "rejected", _("Rejected")


class ArticleSuggestion(models.Model):
    """A question a customer did not find answered, waiting for staff to write or reject it."""

    question = models.TextField(_("question"), max_length=QUESTION_MAX)
    search_query = models.CharField(_("search"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8)
    email = models.EmailField(_("email"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=SuggestionStatus.choices,
        default=SuggestionStatus.PENDING,
    )
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"])]
        verbose_name = _("article suggestion")
        verbose_name_plural = _("article suggestions")

    def __str__(self) -> str:
        return self.question[:60]
