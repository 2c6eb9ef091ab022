"""The bot at work: after the language model has understood new customer chat messages, the
bot answers each conversation that no agent has taken, once per message, and records what it
did where agents see it (its messages, its lookups, its hand-off)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from kefu.accounts.models import Brand
from kefu.bot import engine
from kefu.bot.models import BotSession, BotState
from kefu.conversations.models import AuthorType, Channel, Conversation, Message, Status
from kefu.conversations.services.automation import (
    hand_off_from_bot,
    record_bot_lookups,
    resolve_from_bot,
)
from kefu.conversations.services.messages import post_bot_message
from kefu.exchange.services import exchange
from kefu.lib.language import HAN

logger = logging.getLogger(__name__)
CHAT_CHANNELS = (Channel.WIDGET, Channel.TELEGRAM, Channel.DISCORD, Channel.WEBHOOK)


def article_url(slug: str) -> str:
    return settings.SITE_URL + reverse("knowledge:article", args=[slug])


def answer_messages(message_ids: Iterable[int]) -> int:
    """Give the bot's turn for these (analysed) customer messages; returns how many turns.

    Messages of one conversation are answered together (the customer may write in pieces);
    each is answered once even with several workers: a worker claims them by moving the
    session's ``last_message_id`` forward with a conditional update.
    """
    if not settings.BOT_ENABLED:
        return 0
    messages = list(
        Message.objects.filter(
            pk__in=list(message_ids),
            author_type=AuthorType.CUSTOMER,
            analysis__isnull=False,
            conversation__channel__in=CHAT_CHANNELS,
            conversation__assignee__isnull=True,
        )
        .exclude(conversation__status=Status.CLOSED)
        .select_related("conversation__customer")
        .order_by("pk")
    )
    by_conversation: dict[int, list[Message]] = {}
    for message in messages:
        by_conversation.setdefault(message.conversation_id, []).append(message)
    turns = 0
    for conversation_id, batch in by_conversation.items():
        try:
            turns += _answer(batch[0].conversation, batch)
        except Exception:
            logger.exception("the bot failed on conversation %s", conversation_id)
    return turns


def reply_language(text: str, analysis: dict[str, object], conversation_language: str) -> str:
    """Chinese when the customer writes Chinese, even mixed with English terms, markup or a
    txid ("我的USDT充值 <img …>"); English when they write English; else the conversation's."""
    if len(HAN.findall(text)) >= 2:
        return "zh"
    if analysis.get("language") in ("zh", "en"):
        return str(analysis["language"])
    return "zh" if conversation_language == "zh" else "en"


def _answer(conversation: Conversation, batch: list[Message]) -> int:
    session, _created = BotSession.objects.get_or_create(conversation=conversation)
    fresh = [message for message in batch if message.pk > session.last_message_id]
    if not fresh or session.state == BotState.HANDED_OFF:
        return 0
    latest = fresh[-1]
    claimed = BotSession.objects.filter(pk=session.pk, last_message_id__lt=latest.pk).update(
        last_message_id=latest.pk
    )
    if not claimed:
        return 0
    session.last_message_id = latest.pk
    analysis = dict(latest.analysis or {})
    language = reply_language(
        "\n".join(message.body for message in fresh), analysis, conversation.language
    )
    brand = Brand.objects.first()
    context = engine.Context(
        text="\n".join(message.body for message in fresh),
        language=language,
        analysis=analysis,
        user_id=conversation.customer.external_id or "",
        exchange=exchange(),
        brand=(brand.name_zh if language == "zh" and brand and brand.name_zh else brand.name)
        if brand
        else "Kefu",
        article_url=article_url,
    )
    with translation.override("zh-hans" if language == "zh" else "en"):
        turn = engine.respond(session, context)
    _store(conversation, session, turn)
    return 1


def _store(conversation: Conversation, session: BotSession, turn: engine.Turn) -> None:
    with transaction.atomic():
        # An agent who took the conversation meanwhile has it: the bot stays quiet.
        if Conversation.objects.filter(pk=conversation.pk, assignee__isnull=False).exists():
            return
        fields = {
            name: getattr(session, name)
            for name in (
                "state",
                "flow",
                "slots",
                "options",
                "articles_shown",
                "failed_answers",
                "retries",
                "turns",
                "handoff_reason",
                "resolved",
            )
        }
        kept = BotSession.objects.filter(
            pk=session.pk, last_message_id=session.last_message_id
        ).update(**fields, updated_at=timezone.now())
        if not kept:
            return  # a newer message was claimed by another turn, which answers it
        record_bot_lookups(conversation.pk, turn.lookups)
        for text in turn.replies:
            post_bot_message(conversation.pk, body=text)
        if turn.handoff is not None:
            hand_off_from_bot(
                conversation.pk,
                turn.handoff,
                intent=turn.intent,
                detail=turn.handoff_detail,
                urgent=turn.urgent,
            )
            conversation_id, urgent = conversation.pk, turn.urgent
            transaction.on_commit(lambda: _route(conversation_id, urgent=urgent))
        elif turn.resolved:
            resolve_from_bot(conversation.pk)


def _route(conversation_id: int, *, urgent: bool) -> None:
    """Give a conversation the bot handed off to the best agent, or its queue (kefu.routing)."""
    from kefu.routing.services import route_conversation

    try:
        route_conversation(conversation_id, bot_urgent=urgent)
    except Exception:
        logger.exception("routing conversation %s failed; the sweep retries", conversation_id)


def warm_up() -> None:
    """Build this process's knowledge-base index before the first chat needs it."""
    from kefu.knowledge.search import current_index

    current_index()
