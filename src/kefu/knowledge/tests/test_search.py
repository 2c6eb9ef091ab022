"""Hybrid search: BM25 with jieba, multilingual embeddings and the intent model, fused."""

from __future__ import annotations

import pytest

from kefu.knowledge.models import ArticleStatus
from kefu.knowledge.search import search_articles
from kefu.knowledge.services import load_content, set_article_status
from kefu.nlu.model import Model

pytestmark = pytest.mark.django_db


@pytest.fixture
def knowledge_base(live_model: Model) -> None:
    load_content()


@pytest.mark.parametrize(
    ("query", "intent"),
    [
        ("my usdt deposit has not arrived after an hour", "deposit.not_credited"),
        ("我的USDT充值还没到账", "deposit.not_credited"),
        ("I sent USDT on BEP20 but the address was TRC20", "deposit.wrong_network_or_memo"),
        ("忘记填写MEMO了 XRP充值怎么找回", "deposit.wrong_network_or_memo"),
        ("lost my phone, how do I reset google authenticator", "security.2fa_reset"),
        ("提币一直在审核中", "withdrawal.pending"),
        ("what are the maker and taker fees", "trade.fees"),
        ("API 报错 签名错误 invalid signature", "api.errors"),
        ("卖家不放币怎么申诉", "p2p.dispute"),
        (
            "my position got liquidated, how is the liquidation price calculated",
            "trade.futures_liquidation",
        ),
    ],
)
def test_the_first_result_answers_the_question(
    knowledge_base: None, query: str, intent: str
) -> None:
    hits = search_articles(query, limit=3)
    assert intent in hits[0].intents, [hit.slug for hit in hits]


def test_an_english_question_finds_the_chinese_version(knowledge_base: None) -> None:
    """Searching only the Chinese versions with an English question: the multilingual
    embeddings and the intent model carry it across languages."""
    hits = search_articles(
        "how do I set an anti-phishing code", only_language="zh", limit=3, language="zh"
    )
    assert "security.settings" in hits[0].intents or "security.phishing_scam" in hits[0].intents
    assert any("\u4e00" <= character <= "\u9fff" for character in hits[0].title)


def test_each_part_alone_and_scores_are_reported(knowledge_base: None) -> None:
    lexical = search_articles("withdrawal fee TRC20", weights={"lexical": 1.0}, limit=5)
    semantic = search_articles("withdrawal fee TRC20", weights={"semantic": 1.0}, limit=5)
    assert lexical and all(hit.lexical > 0 for hit in lexical)
    assert semantic and all(hit.semantic > 0 for hit in semantic)
    assert all(hit.intent == 0 for hit in lexical)


def test_unpublished_articles_drop_out_at_once(knowledge_base: None, supervisor) -> None:  # type: ignore[no-untyped-def]
    first = search_articles("reset google authenticator 2FA", limit=1)[0]
    set_article_status(supervisor, first.article_id, ArticleStatus.ARCHIVED)
    again = search_articles("reset google authenticator 2FA", limit=5)
    assert first.slug not in [hit.slug for hit in again]


@pytest.mark.parametrize("query", ["", "   ", "\x00\x00", "😀" * 50, "a" * 100_000])
def test_odd_queries_do_not_fail(knowledge_base: None, query: str) -> None:
    hits = search_articles(query)
    assert isinstance(hits, list)


def test_passage_embeddings_are_computed_once_and_kept(knowledge_base: None) -> None:
    from kefu.knowledge import search
    from kefu.knowledge.models import ArticleVersion

    search.forget_index()
    built = search.current_index()
    stored = ArticleVersion.objects.exclude(vectors_of="").count()
    assert stored == len(built.articles) > 70
    # Another process (here: this one, forgetting all it had) reads them instead of embedding.
    search.forget_index()
    search._recent.clear()
    again = search.current_index()
    assert (again.passages == built.passages).all()
    assert not search._recent
