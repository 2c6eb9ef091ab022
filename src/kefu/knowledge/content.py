"""Article content: the rules every article follows, Markdown rendering, and the content files the
demo ships (``content/``: ``categories.yaml`` and one Markdown file per article and language)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import frontmatter
import markdown
import nh3
import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from kefu.knowledge.errors import ArticleInvalid, ContentFileError
from kefu.knowledge.models import (
    BODY_MAX,
    MAX_STEPS,
    MAX_TAGS,
    SLUG_MAX,
    STEP_MAX,
    SUMMARY_MAX,
    TAG_MAX,
    TITLE_MAX,
)
from kefu.lib.language import HAN
from kefu.lib.taxonomy import intents as taxonomy

CONTENT_DIR = Path(__file__).with_name("content")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGES = ("en", "zh")
SHARED_KEYS = ("category", "intents", "video")
KNOWN_KEYS = {"category", "intents", "video", "title", "summary", "tags", "steps"}


@dataclass(frozen=True)
class ArticleContent:
    """Everything one version of an article holds, in both languages."""

    slug: str
    category: str
    intents: tuple[str, ...]
    title_en: str
    title_zh: str
    summary_en: str = ""
    summary_zh: str = ""
    body_en: str = ""
    body_zh: str = ""
    steps_en: tuple[str, ...] = ()
    steps_zh: tuple[str, ...] = ()
    tags_en: tuple[str, ...] = ()
    tags_zh: tuple[str, ...] = ()
    video_url: str = ""


@dataclass(frozen=True)
class CategoryContent:
    slug: str
    name_en: str
    name_zh: str
    description_en: str = ""
    description_zh: str = ""


@dataclass
class ContentSet:
    categories: list[CategoryContent] = field(default_factory=list)
    articles: list[ArticleContent] = field(default_factory=list)


def render_markdown(text: str) -> str:
    """Markdown to HTML with anything unsafe removed (raw HTML, scripts, event handlers)."""
    html = markdown.markdown(text, extensions=["tables", "sane_lists", "fenced_code"])
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")


def render_inline(text: str) -> str:
    """One line of Markdown (a step) to cleaned HTML, without the paragraph around it."""
    html = render_markdown(text).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


_EMPHASIS = re.compile(r"\*\*|__|`")


def plain_text(text: str) -> str:
    """Markdown emphasis and code marks dropped, for places that show text (the chat)."""
    return _EMPHASIS.sub("", text)


def _clean_text(value: object, field_name: str, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ArticleInvalid(_("This field must be text."), field=field_name)
    text = value.replace("\x00", "").strip()
    if required and not text:
        raise ArticleInvalid(_("This field is required."), field=field_name)
    if len(text) > limit:
        raise ArticleInvalid(
            _("At most %(limit)d characters.") % {"limit": limit}, field=field_name
        )
    return text


def _clean_list(value: object, field_name: str, most: int, limit: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ArticleInvalid(_("This field must be a list."), field=field_name)
    items = tuple(_clean_text(item, field_name, limit) for item in value)
    items = tuple(item for item in items if item)
    if len(items) > most:
        raise ArticleInvalid(_("At most %(most)d items.") % {"most": most}, field=field_name)
    return items


def check_article_content(content: ArticleContent) -> ArticleContent:
    """Return ``content`` trimmed and checked; raise :class:`ArticleInvalid` naming the field."""
    slug = _clean_text(content.slug, "slug", SLUG_MAX, required=True).lower()
    if not SLUG.match(slug):
        raise ArticleInvalid(_("Use lowercase letters, digits and single hyphens."), field="slug")
    known = taxonomy()
    intents = tuple(dict.fromkeys(_clean_list(list(content.intents), "intents", 5, 64)))
    if not intents:
        raise ArticleInvalid(_("Choose at least one intent."), field="intents")
    for intent in intents:
        if intent not in known:
            raise ArticleInvalid(
                _("Unknown intent: %(intent)s") % {"intent": intent}, field="intents"
            )
    video = _clean_text(content.video_url, "video_url", 300)
    if video:
        try:
            URLValidator(schemes=["https"])(video)
        except ValidationError:
            raise ArticleInvalid(_("Give an https:// link."), field="video_url") from None
    checked = replace(
        content,
        slug=slug,
        category=_clean_text(content.category, "category", SLUG_MAX, required=True),
        intents=intents,
        video_url=video,
        title_en=_clean_text(content.title_en, "title_en", TITLE_MAX, required=True),
        title_zh=_clean_text(content.title_zh, "title_zh", TITLE_MAX, required=True),
        summary_en=_clean_text(content.summary_en, "summary_en", SUMMARY_MAX),
        summary_zh=_clean_text(content.summary_zh, "summary_zh", SUMMARY_MAX),
        body_en=_clean_text(content.body_en, "body_en", BODY_MAX),
        body_zh=_clean_text(content.body_zh, "body_zh", BODY_MAX),
        steps_en=_clean_list(content.steps_en, "steps_en", MAX_STEPS, STEP_MAX),
        steps_zh=_clean_list(content.steps_zh, "steps_zh", MAX_STEPS, STEP_MAX),
        tags_en=_clean_list(content.tags_en, "tags_en", MAX_TAGS, TAG_MAX),
        tags_zh=_clean_list(content.tags_zh, "tags_zh", MAX_TAGS, TAG_MAX),
    )
    if not HAN.search(checked.title_zh):
        raise ArticleInvalid(_("The Chinese title must be in Chinese."), field="title_zh")
    if HAN.search(checked.title_en):
        raise ArticleInvalid(_("The English title must be in English."), field="title_en")
    return checked


# --- content files ----------------------------------------------------------------------------


def read_content(directory: Path = CONTENT_DIR) -> ContentSet:
    """Read and check the categories and articles under ``directory``.

    Raises :class:`ContentFileError` naming the first file that breaks a rule.
    """
    result = ContentSet(categories=_read_categories(directory / "categories.yaml"))
    category_slugs = {category.slug for category in result.categories}
    articles_dir = directory / "articles"
    english = sorted(articles_dir.glob("*.en.md"))
    chinese = {path.name.removesuffix(".zh.md") for path in articles_dir.glob("*.zh.md")}
    slugs = {path.name.removesuffix(".en.md") for path in english}
    for orphan in sorted(chinese - slugs):
        raise ContentFileError(articles_dir / f"{orphan}.zh.md", "no matching .en.md file")
    for path in english:
        slug = path.name.removesuffix(".en.md")
        if slug not in chinese:
            raise ContentFileError(path, "no matching .zh.md file")
        article = _read_article(slug, path, path.with_name(f"{slug}.zh.md"))
        if article.category not in category_slugs:
            raise ContentFileError(path, f"unknown category {article.category!r}")
        result.articles.append(article)
    return result


def _read_categories(path: Path) -> list[CategoryContent]:
    try:
        rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ContentFileError(path, str(error)) from None
    if not isinstance(rows, list):
        raise ContentFileError(path, "expected a list of categories")
    categories = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not all(
            isinstance(row.get(key), str) and row[key] for key in ("slug", "name_en", "name_zh")
        ):
            raise ContentFileError(path, f"category {number}: slug, name_en and name_zh needed")
        if not SLUG.match(row["slug"]):
            raise ContentFileError(path, f"category {number}: bad slug {row['slug']!r}")
        categories.append(
            CategoryContent(
                slug=row["slug"],
                name_en=row["name_en"],
                name_zh=row["name_zh"],
                description_en=str(row.get("description_en") or ""),
                description_zh=str(row.get("description_zh") or ""),
            )
        )
    return categories


def _front_matter(path: Path) -> tuple[dict[str, Any], str]:
    try:
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as error:
        raise ContentFileError(path, f"cannot read: {error}") from None
    metadata = dict(post.metadata)
    unknown = set(metadata) - KNOWN_KEYS
    if unknown:
        raise ContentFileError(path, f"unknown keys: {', '.join(sorted(unknown))}")
    return metadata, post.content


def _read_article(slug: str, english_path: Path, chinese_path: Path) -> ArticleContent:
    en, body_en = _front_matter(english_path)
    zh, body_zh = _front_matter(chinese_path)
    for key in SHARED_KEYS:
        if en.get(key) != zh.get(key):
            raise ContentFileError(chinese_path, f"{key} differs from the English file")
    intents = en.get("intents")
    if isinstance(intents, str):
        intents = [intents]
    content = ArticleContent(
        slug=slug,
        category=str(en.get("category") or ""),
        intents=tuple(intents or ()),
        video_url=str(en.get("video") or ""),
        title_en=en.get("title") or "",
        title_zh=zh.get("title") or "",
        summary_en=en.get("summary") or "",
        summary_zh=zh.get("summary") or "",
        body_en=body_en,
        body_zh=body_zh,
        steps_en=tuple(en.get("steps") or ()),
        steps_zh=tuple(zh.get("steps") or ()),
        tags_en=tuple(str(tag) for tag in en.get("tags") or ()),
        tags_zh=tuple(str(tag) for tag in zh.get("tags") or ()),
    )
    try:
        checked = check_article_content(content)
    except ArticleInvalid as error:
        path = chinese_path if (error.field or "").endswith("_zh") else english_path
        raise ContentFileError(path, f"{error.field}: {error.message}") from None
    if not HAN.search(checked.body_zh + checked.summary_zh):
        raise ContentFileError(chinese_path, "the Chinese text is not in Chinese")
    return checked
