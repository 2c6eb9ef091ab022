"""The content files the demo ships, and the rules every article follows."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kefu.knowledge.content import CONTENT_DIR, check_article_content, read_content, render_markdown
from kefu.knowledge.errors import ArticleInvalid, ContentFileError
from kefu.knowledge.models import Article, ArticleStatus, ArticleVersion
from kefu.knowledge.services import load_content
from kefu.knowledge.tests.factories import CONTENT
from kefu.lib.taxonomy import intents


def test_the_demo_content_answers_every_intent_in_both_languages() -> None:
    content = read_content()
    assert len(content.articles) >= 70
    answered = {intent for article in content.articles for intent in article.intents}
    assert answered == set(intents())
    for article in content.articles:
        assert article.title_en and article.title_zh and article.body_en and article.body_zh


@pytest.mark.django_db
def test_loading_publishes_every_article_and_loading_again_changes_nothing() -> None:
    first = load_content()
    assert first.created == len(read_content().articles)
    assert Article.objects.filter(status=ArticleStatus.PUBLISHED).count() == first.created
    again = load_content()
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)
    assert ArticleVersion.objects.count() == first.created


def write(folder: Path, name: str, text: str) -> None:
    (folder / "articles").mkdir(parents=True, exist_ok=True)
    (folder / "articles" / name).write_text(text, encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "categories.yaml").write_text(
        (CONTENT_DIR / "categories.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    english = (
        "---\ncategory: deposits\nintents: [deposit.not_credited]\ntitle: Late deposits\n"
        "---\nBody.\n"
    )
    chinese = (
        "---\ncategory: deposits\nintents: [deposit.not_credited]\ntitle: 充值延迟\n---\n正文。\n"
    )
    write(tmp_path, "late.en.md", english)
    write(tmp_path, "late.zh.md", chinese)
    return tmp_path


def test_a_good_folder_loads(folder: Path) -> None:
    assert [article.slug for article in read_content(folder).articles] == ["late"]


EN = "---\ncategory: deposits\nintents: [{intents}]\ntitle: {title}\n---\nBody.\n"
ZH = "---\ncategory: {category}\nintents: [{intents}]\ntitle: {title}\n---\n正文。\n"


@pytest.mark.parametrize(
    ("files", "failing", "reason"),
    [
        (
            {
                "late.zh.md": ZH.format(
                    category="trading", intents="deposit.not_credited", title="充值"
                )
            },
            "late.zh.md",
            "category differs",
        ),
        (
            {
                "late.en.md": EN.format(intents="deposit.lost", title="Late"),
                "late.zh.md": ZH.format(category="deposits", intents="deposit.lost", title="充值"),
            },
            "late.en.md",
            "Unknown intent",
        ),
        (
            {"late.en.md": "---\ncategory: deposits\nintents: [deposit.not_credited]\n---\nBody\n"},
            "late.en.md",
            "title_en",
        ),
        (
            {
                "late.zh.md": ZH.format(
                    category="deposits", intents="deposit.not_credited", title="Late"
                )
            },
            "late.zh.md",
            "Chinese",
        ),
        (
            {
                "late.en.md": (
                    "---\ncategory: deposits\nintents: [deposit.not_credited\ntitle: x\n---\n"
                )
            },
            "late.en.md",
            "cannot read",
        ),
        (
            {
                "late.en.md": (
                    "---\ncategory: deposits\nintents: [deposit.not_credited]\ntitle: L\n"
                    "secret: 1\n---\nB\n"
                )
            },
            "late.en.md",
            "unknown keys",
        ),
    ],
)
def test_a_bad_file_is_named_with_the_reason(
    folder: Path, files: dict[str, str], failing: str, reason: str
) -> None:
    for name, text in files.items():
        write(folder, name, text)
    with pytest.raises(ContentFileError) as error:
        read_content(folder)
    assert error.value.path.endswith(failing)
    assert reason in error.value.reason


def test_an_article_without_its_other_language_is_refused(folder: Path) -> None:
    (folder / "articles" / "late.zh.md").unlink()
    with pytest.raises(ContentFileError, match=r"no matching \.zh\.md"):
        read_content(folder)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"intents": ()}, "intents"),
        ({"title_zh": "Deposits"}, "title_zh"),
        ({"title_en": "充值"}, "title_en"),
        ({"video_url": "javascript:alert(1)"}, "video_url"),
        ({"title_en": "x" * 201}, "title_en"),
        ({"steps_en": tuple(str(n) for n in range(21))}, "steps_en"),
    ],
)
def test_article_rules(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ArticleInvalid) as error:
        check_article_content(replace(CONTENT, **changes))  # type: ignore[arg-type]
    assert error.value.field == field


def test_markdown_keeps_formatting_and_drops_scripts() -> None:
    html = render_markdown(
        "**bold** <script>alert(1)</script> [x](javascript:alert(2)) "
        "<img src=x onerror=alert(3)>\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<strong>bold</strong>" in html
    assert "<table>" in html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
