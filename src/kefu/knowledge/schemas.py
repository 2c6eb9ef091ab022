"""API schemas of the knowledge base."""

from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import Field


class SearchResultOut(Schema):
    slug: str
    title: str
    summary: str
    intents: list[str]
    category: str
    url: str
    score: float = Field(description="fused rank score (higher is better)")
    lexical: float = Field(description="BM25 score of the best language version (0: no match)")
    semantic: float = Field(description="cosine similarity of the best passage, -1..1")
    intent: float = Field(description="probability of the likeliest intent the article answers")


class SearchOut(Schema):
    query: str
    language: Literal["en", "zh"]
    results: list[SearchResultOut]


class ArticleOut(Schema):
    slug: str
    version: int
    language: Literal["en", "zh"]
    category: str
    intents: list[str]
    title: str
    summary: str
    steps: list[str]
    tags: list[str]
    body_markdown: str
    body_html: str
    video_url: str
    url: str
    helpful_yes: int
    helpful_no: int
