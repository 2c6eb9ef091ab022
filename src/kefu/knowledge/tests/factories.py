"""Knowledge-base content for tests, written through the services."""

from __future__ import annotations

from dataclasses import replace

from kefu.accounts.models import User
from kefu.knowledge.content import ArticleContent
from kefu.knowledge.models import Article, Category
from kefu.knowledge.services import save_article


def category(slug: str = "deposits") -> Category:
    return Category.objects.get_or_create(
        slug=slug, defaults={"name_en": slug.title(), "name_zh": "充值", "position": 1}
    )[0]


CONTENT = ArticleContent(
    slug="deposit-confirmations",
    category="deposits",
    intents=("deposit.not_credited",),
    title_en="Why hasn't my deposit arrived?",
    title_zh="充值为什么还没到账？",
    summary_en="A deposit is credited after the network confirms it.",
    summary_zh="充值在网络确认后入账。",
    body_en="Check the **confirmations** of your deposit.",
    body_zh="请查看充值的**区块确认数**。",
    steps_en=("Open Assets → History.", "Compare the confirmations."),
    steps_zh=("打开资产 → 账单记录。", "对比确认数。"),
    tags_en=("deposit", "txid"),
    tags_zh=("充值", "哈希"),
)


def article(
    actor: User | None = None,
    *,
    publish: bool = True,
    edit: Article | None = None,
    **changes: object,
) -> Article:
    """A new article (or, with ``edit``, that article's next version)."""
    category(str(changes.get("category", "deposits")))
    return save_article(
        actor,
        replace(CONTENT, **changes),  # type: ignore[arg-type]
        publish=publish,
        article_id=edit.pk if edit else None,
    )
