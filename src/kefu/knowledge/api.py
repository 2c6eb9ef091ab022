"""Public REST endpoints of the knowledge base: search and read published articles."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema
from pydantic import Field

from kefu.knowledge.access import access_published_version
from kefu.knowledge.schemas import ArticleOut, SearchOut
from kefu.knowledge.search import search_articles
from kefu.lib.ratelimit import check_rate_limit
from kefu.nlu.language import detect_language

router = Router(tags=["knowledge base"])


class SearchQuery(Schema):
    q: str = Field(min_length=1, max_length=500, description="the question, in any language")
    limit: int = Field(5, ge=1, le=20)
    language: Literal["en", "zh"] | None = Field(
        None, description="language of the returned titles (default: the question's)"
    )


@router.get("/kb/search", response=SearchOut, summary="Search the help center")
def search(request: HttpRequest, params: Query[SearchQuery]) -> dict[str, object]:
    check_rate_limit(request, "kb_search")
    language = params.language or ("zh" if detect_language(params.q).code == "zh" else "en")
    hits = search_articles(params.q, limit=params.limit, language=language)
    return {
        "query": params.q,
        "language": language,
        "results": [
            {
                **{name: getattr(hit, name) for name in ("slug", "title", "summary", "category")},
                "intents": list(hit.intents),
                "url": reverse("knowledge:article", args=[hit.slug]),
                "score": hit.score,
                "lexical": hit.lexical,
                "semantic": hit.semantic,
                "intent": hit.intent,
            }
            for hit in hits
        ],
    }


@router.get("/kb/articles/{slug}", response=ArticleOut, summary="Read a published article")
def article(
    request: HttpRequest, slug: str, language: Literal["en", "zh"] = "en"
) -> dict[str, object]:
    check_rate_limit(request, "lookup")
    version = access_published_version(slug)
    local = version.in_language(language)
    return {
        "slug": version.article.slug,
        "version": version.number,
        "language": local.language,
        "category": version.category.slug,
        "intents": list(version.intents),
        "title": local.title,
        "summary": local.summary,
        "steps": local.steps,
        "tags": local.tags,
        "body_markdown": local.body,
        "body_html": local.html,
        "video_url": version.video_url,
        "url": reverse("knowledge:article", args=[version.article.slug]),
        "helpful_yes": version.helpful_yes,
        "helpful_no": version.helpful_no,
    }
