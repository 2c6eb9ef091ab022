"""Hybrid search over the published articles, in Chinese and English and across the two.

Three rankings of the articles are fused by weighted reciprocal rank (RRF):

- **lexical**: BM25 (``bm25s``) over each language version, Chinese segmented by jieba with the
  crypto-terms dictionary of the NLU app (``kefu.nlu.tokens``); the title, tags and summary count
  more than the body.
- **semantic**: cosine similarity of multilingual sentence embeddings (the NLU model's encoder,
  Chinese and English in one space, so an English question finds a Chinese-only article), taken
  as the best-matching passage of each article (title, summary, each step, each paragraph).
- **intent**: the live NLU model's intent probabilities for the query; articles that answer a
  likely intent rank by its probability.

Each process builds its index on first use and rebuilds it when an article changes (checked with
one small query per search). ``docs/knowledge.md`` and ``bench/kb.py`` give the measured effect of
each part.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from django.db.models import Count, F, Max

from kefu.knowledge.models import Article, ArticleStatus, ArticleVersion
from kefu.nlu import encoders, tokens

ENCODER = "use"
RRF_K = 10
MAX_QUERY = 500
# Weighted reciprocal-rank fusion; bench/kb.py measures each part alone and together. The
# intent model counts double: chosen on the first 300 test-split queries (which bench/kb.py then
# leaves out), against 1 and 3.
WEIGHTS = {"lexical": 1.0, "semantic": 1.0, "intent": 2.0}
# Lexical field weights: how many times a field is counted in a document.
TITLE_REPEAT, TAGS_REPEAT, SUMMARY_REPEAT = 3, 2, 2
PASSAGE_CHARS = 400
INTENT_FLOOR = 0.05
_MARKUP = re.compile(r"[*_`#>|\[\]()]+|-{3,}")
_ASCII_WORD = re.compile(r"^[a-z]+$")


@cache
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_CHINESE, STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS) | frozenset(STOPWORDS_CHINESE)


@cache
def _stemmer() -> object:
    import Stemmer

    return Stemmer.Stemmer("english")


def lexical_words(text: str) -> list[str]:
    """The words BM25 counts: jieba's words without stop words, English ones stemmed."""
    stop = _stopwords()
    kept = [word for word in tokens.words(text) if word not in stop]
    stemmer = _stemmer()
    return [
        stemmer.stemWord(word) if _ASCII_WORD.match(word) else word  # type: ignore[attr-defined]
        for word in kept
    ]


@dataclass(frozen=True)
class SearchHit:
    """One article found for a query, with what each ranking made of it."""

    article_id: int
    slug: str
    version: int
    title: str
    summary: str
    intents: tuple[str, ...]
    category: str
    score: float
    lexical: float
    semantic: float
    intent: float


@dataclass
class _Document:
    article_id: int
    language: str
    version: ArticleVersion


@dataclass
class _Index:
    stamp: tuple[object, ...] = ()
    documents: list[_Document] = field(default_factory=list)
    retriever: object | None = None
    passages: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.float32))
    articles: dict[int, ArticleVersion] = field(default_factory=dict)
    article_ids: list[int] = field(default_factory=list)
    document_starts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    has_passages: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    language_filter: dict[str, np.ndarray] = field(default_factory=dict)


_index = _Index()
_lock = threading.Lock()


def _stamp() -> tuple[object, ...]:
    row = Article.objects.aggregate(count=Count("id"), latest=Max("updated_at"))
    return (row["count"], row["latest"])


def _plain(text: str) -> str:
    return _MARKUP.sub(" ", text)


def _lexical_text(version: ArticleVersion, language: str) -> str:
    local = version.in_language(language)
    return " ".join(
        [local.title] * TITLE_REPEAT
        + [" ".join(local.tags)] * TAGS_REPEAT
        + [local.summary] * SUMMARY_REPEAT
        + local.steps
        + [_plain(local.body)]
    )


def _passages(version: ArticleVersion, language: str) -> list[str]:
    local = version.in_language(language)
    passages = [local.title, f"{local.title}. {local.summary}".strip()]
    passages += [f"{local.title}: {step}" for step in local.steps]
    for paragraph in re.split(r"\n\s*\n", _plain(local.body)):
        paragraph = " ".join(paragraph.split())
        if len(paragraph) >= 20:
            passages.append(paragraph[:PASSAGE_CHARS])
    return [passage for passage in passages if passage.strip()]


def _build(stamp: tuple[object, ...]) -> _Index:
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets DEBUG on import

    versions = list(
        ArticleVersion.objects.filter(
            article__status=ArticleStatus.PUBLISHED,
            article__published_version=F("pk"),
        )
        .select_related("article", "category")
        .order_by("article__slug")
    )
    index = _Index(stamp=stamp)
    corpus: list[list[str]] = []
    total = 0
    starts: list[int] = []
    counts: list[int] = []
    for version in versions:
        index.articles[version.article_id] = version
        index.article_ids.append(version.article_id)
        for language in ("en", "zh"):
            index.documents.append(_Document(version.article_id, language, version))
            corpus.append(lexical_words(_lexical_text(version, language)) or ["zzempty"])
            count = len(_passages(version, language))
            starts.append(total)
            counts.append(count)
            total += count
    if corpus:
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
        index.retriever = retriever
        index.passages = np.concatenate([version_vectors(version) for version in versions])
        # reduceat needs valid starts: a document without passages reads its neighbour's and
        # is masked by has_passages.
        index.has_passages = np.asarray(counts, dtype=np.int64) > 0
        index.document_starts = np.minimum(np.asarray(starts, dtype=np.int64), max(total - 1, 0))
    for language in ("en", "zh"):
        index.language_filter[language] = np.asarray(
            [document.language == language for document in index.documents], dtype=bool
        )
    return index


def _all_passages(version: ArticleVersion) -> list[str]:
    return _passages(version, "en") + _passages(version, "zh")


def _vectors_key(passages: list[str]) -> str:
    digest = hashlib.sha256(ENCODER.encode())
    for passage in passages:
        digest.update(b"\x00" + passage.encode("utf-8"))
    return digest.hexdigest()


# Vectors this process computed lately, by what they were computed from: a version saved again
# unchanged (or the same content loaded into a fresh database) is not embedded twice.
RECENT_VECTORS = 1000
_recent: dict[str, np.ndarray] = {}


def version_vectors(version: ArticleVersion) -> np.ndarray:
    """The embeddings of a version's passages (English then Chinese). They are computed once and
    kept on the version, so another process, or the next start, only reads them."""
    passages = _all_passages(version)
    key = _vectors_key(passages)
    dimensions = encoders.DIMENSIONS[ENCODER]
    if version.vectors_of == key and version.vectors:
        stored = np.frombuffer(bytes(version.vectors), dtype=np.float32)
        if stored.size == len(passages) * dimensions:
            return stored.reshape(len(passages), dimensions)
    vectors = _recent.get(key)
    if vectors is None:
        vectors = encoders.encode(ENCODER, passages).astype(np.float32)
        _recent[key] = vectors
        while len(_recent) > RECENT_VECTORS:
            del _recent[next(iter(_recent))]
    ArticleVersion.objects.filter(pk=version.pk).update(vectors=vectors.tobytes(), vectors_of=key)
    version.vectors, version.vectors_of = vectors.tobytes(), key
    return vectors


# How often a process asks the database whether an article changed. Changes made in this process
# are seen at once (``changed``); another process's within this many seconds.
STAMP_SECONDS = 1.0
_checked = 0.0


def changed() -> None:
    """An article changed in this process: the next search checks the database."""
    global _checked
    _checked = 0.0


def current_index() -> _Index:
    """This process's index, rebuilt if an article changed since it was built."""
    global _index, _checked
    now = time.monotonic()
    if _index.stamp and now - _checked < STAMP_SECONDS:
        return _index
    stamp = _stamp()
    _checked = now
    if _index.stamp == stamp:
        return _index
    with _lock:
        if _index.stamp != stamp:
            _index = _build(stamp)
    return _index


def forget_index() -> None:
    """Drop this process's index (tests, after the database was emptied)."""
    global _index, _checked
    with _lock:
        _index = _Index()
        _checked = 0.0


def _ranks(scores: Mapping[int, float]) -> dict[int, int]:
    ordered = sorted((item for item in scores.items() if item[1] > 0), key=lambda i: -i[1])
    return {article_id: rank for rank, (article_id, _score) in enumerate(ordered, start=1)}


def search_articles(
    query: str,
    *,
    limit: int = 5,
    language: str = "en",
    only_language: str | None = None,
    intent_probabilities: Mapping[str, float] | None = None,
    weights: Mapping[str, float] | None = None,
) -> list[SearchHit]:
    """The published articles that best answer ``query``, best first.

    ``language`` picks the language of the returned titles; ``only_language`` searches only the
    versions in one language (benchmarks). ``intent_probabilities`` are the query's intents if
    the caller already has them (the bot does); otherwise the live NLU model is asked.
    """
    query = " ".join(query.replace("\x00", " ").split())[:MAX_QUERY]
    if not query:
        return []
    weights = dict(WEIGHTS if weights is None else weights)
    index = current_index()
    if not index.documents:
        return []
    allowed = (
        index.language_filter[only_language]
        if only_language
        else np.ones(len(index.documents), dtype=bool)
    )
    # Documents come in pairs (English, Chinese) per article, in index.article_ids order.
    lexical: dict[int, float] = {}
    if weights.get("lexical") and index.retriever is not None:
        words = lexical_words(query)
        if words:
            bm25 = index.retriever.get_scores(words)  # type: ignore[attr-defined]
            top = np.where(allowed, bm25, 0.0).reshape(-1, 2).max(axis=1)
            lexical = {index.article_ids[row]: float(top[row]) for row in np.flatnonzero(top > 0)}
    semantic: dict[int, float] = {}
    if weights.get("semantic") and len(index.passages):
        vector = encoders.encode(ENCODER, [query])[0]
        similarity = index.passages @ vector
        per_document = np.maximum.reduceat(similarity, index.document_starts)
        per_document = np.where(allowed & index.has_passages, per_document, -np.inf)
        closest = per_document.reshape(-1, 2).max(axis=1)
        semantic = {
            index.article_ids[row]: float(closest[row])
            for row in np.flatnonzero(np.isfinite(closest))
        }
    intent_scores: dict[int, float] = {}
    if weights.get("intent"):
        probabilities = (
            intent_probabilities if intent_probabilities is not None else _intents_of(query)
        )
        for article_id, version in index.articles.items():
            likeliest = max(
                (probabilities.get(intent, 0.0) for intent in version.intents), default=0.0
            )
            if likeliest >= INTENT_FLOOR:
                intent_scores[article_id] = likeliest
    fused: dict[int, float] = {}
    for name, ranking in (
        ("lexical", lexical),
        ("semantic", {key: value + 1.0 for key, value in semantic.items()}),
        ("intent", intent_scores),
    ):
        weight = weights.get(name, 0.0)
        for article_id, rank in _ranks(ranking).items():
            fused[article_id] = fused.get(article_id, 0.0) + weight / (RRF_K + rank)
    ranked = sorted(fused.items(), key=lambda item: (-item[1], -semantic.get(item[0], -1.0)))
    hits = []
    for article_id, score in ranked[:limit]:
        version = index.articles[article_id]
        local = version.in_language(language)
        hits.append(
            SearchHit(
                article_id=article_id,
                slug=version.article.slug,
                version=version.number,
                title=local.title,
                summary=local.summary,
                intents=tuple(version.intents),
                category=version.category.slug,
                score=round(score, 6),
                lexical=round(lexical.get(article_id, 0.0), 4),
                semantic=round(semantic.get(article_id, 0.0), 4),
                intent=round(intent_scores.get(article_id, 0.0), 4),
            )
        )
    return hits


def _intents_of(query: str) -> dict[str, float]:
    from kefu.nlu.services import live_model

    model = live_model()
    if model is None:
        return {}
    return intent_distribution(model, [query])[0]


def intent_distribution(model: object, texts: Sequence[str]) -> list[dict[str, float]]:
    """Every intent's probability for each text, from an NLU model."""
    features = model.features(texts)  # type: ignore[attr-defined]
    probabilities = model.intent.probabilities(features)  # type: ignore[attr-defined]
    labels = model.labels  # type: ignore[attr-defined]
    return [
        {label: float(row[column]) for column, label in enumerate(labels)} for row in probabilities
    ]
