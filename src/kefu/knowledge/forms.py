"""Forms of the knowledge base: the article editor (both languages), feedback, questions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.knowledge.content import ArticleContent
from kefu.knowledge.models import (
    COMMENT_MAX,
    QUESTION_MAX,
    SLUG_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    Category,
)
from kefu.lib.taxonomy import intents


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _tags(text: str) -> tuple[str, ...]:
    return tuple(tag.strip() for tag in text.replace("，", ",").split(",") if tag.strip())


class ArticleForm(forms.Form):
    """The editor: shared fields, then English and Chinese side by side."""

    slug = forms.SlugField(label=_("Slug (address)"), max_length=SLUG_MAX)
    category = forms.ChoiceField(label=_("Category"))
    intents = forms.MultipleChoiceField(
        label=_("Intents it answers"), widget=forms.SelectMultiple(attrs={"size": 8})
    )
    video_url = forms.URLField(
        label=_("Video link (optional)"), required=False, max_length=300, assume_scheme="https"
    )
    title_en = forms.CharField(label=_("Title (English)"), max_length=TITLE_MAX)
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=TITLE_MAX)
    summary_en = forms.CharField(
        label=_("Summary (English)"),
        max_length=SUMMARY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    summary_zh = forms.CharField(
        label=_("Summary (Chinese)"),
        max_length=SUMMARY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    steps_en = forms.CharField(
        label=_("Steps (English), one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    steps_zh = forms.CharField(
        label=_("Steps (Chinese), one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    body_en = forms.CharField(
        label=_("Body (English, Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
    )
    body_zh = forms.CharField(
        label=_("Body (Chinese, Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
    )
    tags_en = forms.CharField(label=_("Tags (English), comma-separated"), required=False)
    tags_zh = forms.CharField(label=_("Tags (Chinese), comma-separated"), required=False)
    note = forms.CharField(label=_("What changed (optional)"), required=False, max_length=200)
    suggestion = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category_field = self.fields["category"]
        intents_field = self.fields["intents"]
        assert isinstance(category_field, forms.ChoiceField)  # noqa: S101 - declared above
        assert isinstance(intents_field, forms.MultipleChoiceField)  # noqa: S101
        category_field.choices = [
            (category.slug, category.name) for category in Category.objects.all()
        ]
        intents_field.choices = [
            (intent.id, f"{intent.name} ({intent.id})") for intent in intents().values()
        ]

    def content(self) -> ArticleContent:
        data = self.cleaned_data
        return ArticleContent(
            slug=data["slug"],
            category=data["category"],
            intents=tuple(data["intents"]),
            video_url=data.get("video_url") or "",
            title_en=data["title_en"],
            title_zh=data["title_zh"],
            summary_en=data.get("summary_en") or "",
            summary_zh=data.get("summary_zh") or "",
            body_en=data.get("body_en") or "",
            body_zh=data.get("body_zh") or "",
            steps_en=_lines(data.get("steps_en") or ""),
            steps_zh=_lines(data.get("steps_zh") or ""),
            tags_en=_tags(data.get("tags_en") or ""),
            tags_zh=_tags(data.get("tags_zh") or ""),
        )

    @staticmethod
    def initial_from(content: ArticleContent) -> dict[str, Any]:
        return {
            "slug": content.slug,
            "category": content.category,
            "intents": list(content.intents),
            "video_url": content.video_url,
            "title_en": content.title_en,
            "title_zh": content.title_zh,
            "summary_en": content.summary_en,
            "summary_zh": content.summary_zh,
            "body_en": content.body_en,
            "body_zh": content.body_zh,
            "steps_en": "\n".join(content.steps_en),
            "steps_zh": "\n".join(content.steps_zh),
            "tags_en": ", ".join(content.tags_en),
            "tags_zh": ", ".join(content.tags_zh),
        }


class FeedbackForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    helpful = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda value: value == "yes"
    )
    comment = forms.CharField(
        label=_("What was missing? (optional)"),
        max_length=COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class QuestionForm(forms.Form):
    question = forms.CharField(
        label=_("Your question"), max_length=QUESTION_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    email = forms.EmailField(label=_("Email for the answer (optional)"), required=False)
    search_query = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)


class ReviewForm(forms.Form):
    article = forms.SlugField(label=_("Answered by article (slug)"), required=False)
    reason = forms.CharField(label=_("Reason (when rejecting)"), required=False, max_length=300)
