"""The bot's decisions: given what it remembers of a chat and the customer's new message (and
the language model's analysis of it), what it says, and whether it hands off or is done.

No database writes and no messages here: :func:`respond` changes the in-memory session and
returns a :class:`Turn`; ``services.py`` stores both and posts the replies. The exchange's back
office and the knowledge base are read through their own apps.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from kefu.bot import replies
from kefu.bot.extract import (
    Extracted,
    asks_for_human,
    choice_number,
    complains,
    extract,
    is_bare_yes,
    is_no,
    is_yes,
    txid_fragments,
    unknown_symbols,
)
from kefu.bot.models import BotSession, BotState
from kefu.conversations.models import HandoffReason
from kefu.exchange.adapter import Deposit, Exchange, LockReason, Network, Withdrawal
from kefu.intake.verification import official_channel_reply
from kefu.knowledge.search import SearchHit, search_articles
from kefu.lib.errors import KefuError
from kefu.lib.taxonomy import OUT_OF_SCOPE, intents

logger = logging.getLogger(__name__)

# How sure the language model must be before the bot acts on an intent alone.
ACT_CONFIDENCE = 0.5
HANDOFF_CONFIDENCE = 0.6
# Suspected takeover from the intent alone, without "hacked"/"stolen"/"not me" in the words:
# "my ETH is not there" is usually a late deposit, not a takeover.
SECURITY_CONFIDENCE = 0.9
# The likeliest intents of one flow together (withdrawal pending + failed) start it.
FLOW_CONFIDENCE = 0.45
FLOW_TOP_CONFIDENCE = 0.35
NETWORKS_TTL = 300.0
# A knowledge-base answer is given when its article answers a likely intent or its best
# passage is this close to the question.
ANSWER_SIMILARITY = 0.55
MAX_FAILED_ANSWERS = 2
MAX_RETRIES = 2
FLOW_INTENTS = {
    "deposit.not_credited": "deposit",
    "deposit.wrong_network_or_memo": "deposit",
    "withdrawal.pending": "withdrawal",
    "withdrawal.failed": "withdrawal",
    "security.account_locked": "account_locked",
    "kyc.status": "kyc",
}
NEEDS_HUMAN_INTENTS = {"feedback.complaint"}
HUMAN_INTENT = "chat.human_agent"
GREETING_INTENT = "chat.greeting"
SECURITY_INTENT = "security.unauthorized_access"
ANGER_SIGNALS = {"all_caps", "exclamations", "threat"}
ANGER_WORDS = (
    "scam",
    "scammer",
    "fraud",
    "ridiculous",
    "unacceptable",
    "wtf",
    "useless",
    "worst",
    "骗子",
    "垃圾",
    "坑人",
    "骗人",
    "投诉你们",
    "太差",
    "到底管不管",
    "什么破",
    "受够",
    "money back",
    "退钱",
    "还我钱",
    "where is my money",
    "我的钱呢",
    "joke",
    "pathetic",
    "terrible",
    "disgusting",
    "fuck",
    "shit",
    "damn",
    "他妈",
    "妈的",
    "气死",
    "行不行",
    "恶心",
    "无语",
    "坑爹",
    "reporting you",
)
FAILED_STATES = {"failed", "cancelled"}
OPEN_STATES = {"pending_review", "processing", "broadcast", "held", "completed"}
RECOVERY_STATES = {"wrong_network", "missing_memo", "unsupported_token"}
HUMAN_LOCKS = {LockReason.RISK_REVIEW, LockReason.COMPLIANCE_REVIEW}
LATEST = ("latest", "last one", "most recent", "最近", "最新", "上一笔", "刚才那笔", "刚刚那笔")


@dataclass
class Turn:
    """What the bot does for one customer message."""

    replies: list[str] = field(default_factory=list)
    handoff: HandoffReason | None = None
    handoff_detail: str = ""
    urgent: bool = False
    resolved: bool = False
    lookups: list[str] = field(default_factory=list)
    intent: str = ""


@dataclass(frozen=True)
class Context:
    """The customer's new message and what the bot may consult."""

    text: str
    language: str
    analysis: dict[str, Any]
    user_id: str
    exchange: Exchange
    brand: str
    article_url: Callable[[str], str]
    # What the message says for a flow, read once per turn (``_found``).
    memo: dict[str, Extracted] = field(default_factory=dict, compare=False)


def respond(session: BotSession, context: Context) -> Turn:
    """Decide the bot's turn and update ``session`` (in memory)."""
    turn = Turn(intent=_intent(context))
    session.turns += 1
    in_flow = session.state == BotState.FLOW
    if complains(context.text):
        _hand_off(session, turn, HandoffReason.NEEDS_HUMAN, context)
        return turn
    if asks_for_human(context.text) or (
        turn.intent == HUMAN_INTENT and _confident(context, HANDOFF_CONFIDENCE)
    ):
        _hand_off(session, turn, HandoffReason.HUMAN, context)
        return turn
    # After "I can't find it; reply yes and I'll pass it on", a bare "yes" or "I'm sure" is a
    # request for a person; "ok, I'll wait, thanks" is not.
    offered = in_flow and session.slots.get("awaiting") == "insist"
    if offered and (is_bare_yes(context.text) or _insists(context.text)):
        detail = str(session.slots.get("not_found", ""))
        _hand_off(session, turn, HandoffReason.LOOKUP_FAILED, context, detail=detail)
        return turn
    # "Yes, thanks": after "did this solve it?", or while a flow waits for details the customer
    # no longer needs.
    if (
        (session.state == BotState.CONFIRMING or in_flow)
        and is_yes(context.text)
        and not is_no(context.text)
        and not _flow_input(session, context)
    ):
        session.state = BotState.IDLE
        session.resolved = turn.resolved = True
        turn.replies.append(replies.glad())
        return turn
    if _hand_off_urgent(session, context, turn, in_flow=in_flow):
        return turn
    # "Is @novaex_help your Telegram?": impersonators are the top scam; the registry answers.
    official = official_channel_reply(context.text, context.language)
    if official is not None:
        turn.replies.append(official)
        turn.lookups.append("official channel registry: checked")
        return turn
    if session.state == BotState.CONFIRMING and is_no(context.text):
        _answer_failed(session, context, turn)
        return turn
    if (
        turn.intent in NEEDS_HUMAN_INTENTS
        and _confident(context, HANDOFF_CONFIDENCE)
        and not (in_flow and _flow_input(session, context))
    ):
        _hand_off(session, turn, HandoffReason.NEEDS_HUMAN, context)
        return turn
    if session.state == BotState.CLARIFYING:
        picked = choice_number(context.text, len(session.options))
        if picked is not None:
            chosen = str(session.options[picked - 1])
            session.state, session.options = BotState.IDLE, []
            return _route(session, context, turn, chosen, picked=True)
    elif in_flow:
        # A message the flow takes ("USDT txid 0x…") is about the flow's intent, whatever the
        # model makes of it alone (often out of scope): a hand-off from the flow goes to the
        # flow's team.
        own, turn.intent = turn.intent, str(session.slots.get("intent") or turn.intent)
        try:
            if _flow_step(session, context, turn, first=False):
                return turn
        except KefuError as error:
            _lookup_failed(session, context, turn, error)
            return turn
        turn.intent = own
    session.state = BotState.IDLE
    return _route(session, context, turn, turn.intent)


# --- hand-off ---------------------------------------------------------------------------------


def _intent(context: Context) -> str:
    analysis = context.analysis
    if analysis.get("out_of_scope"):
        return OUT_OF_SCOPE
    return str(analysis.get("intent") or OUT_OF_SCOPE)


def _confident(context: Context, level: float = ACT_CONFIDENCE) -> bool:
    return float(context.analysis.get("confidence") or 0) >= level


def _angry(context: Context) -> bool:
    """Upset enough that a person should take over: shouting, a storm of "!!!", insults or
    threats, on a message the model reads as negative."""
    analysis = context.analysis
    folded = context.text.lower()
    signals = set(analysis.get("signals") or ())
    worded = any(word in folded for word in ANGER_WORDS)
    loud = signals & ANGER_SIGNALS
    if worded and loud:
        return True
    # The sentiment score runs from -1 (very negative) to 1.
    strongly_negative = float(analysis.get("sentiment_score") or 0) <= -0.6
    return strongly_negative and (len(loud) >= 2 or worded)


def _found(context: Context) -> Extracted:
    """Coin, network, txid, amount and record ids of the message, read once per turn."""
    if "found" not in context.memo:
        context.memo["found"] = extract(context.text, _networks(context), _unsupported(context))
    return context.memo["found"]


def _flow_input(session: BotSession, context: Context) -> bool:
    """Whether the message carries what a lookup needs (coin, txid, amount, record id)."""
    networks = _networks(context)
    found = _found(context)
    if session.retries and txid_fragments(context.text):
        return True
    return _says_something_for_flow(found, context.text, networks)


def _hand_off_urgent(session: BotSession, context: Context, turn: Turn, *, in_flow: bool) -> bool:
    """Suspected account takeover and an upset customer go to people at once."""
    signals = set(context.analysis.get("signals") or ())
    # Coins, txids and amounts are not what the model was trained on: in a flow, a message
    # that carries them is not read for the security intent (the words still count).
    trusted = not (in_flow and _flow_input(session, context))
    if (
        trusted and turn.intent == SECURITY_INTENT and _confident(context, SECURITY_CONFIDENCE)
    ) or ({"hacked", "stolen"} & signals):
        turn.replies.append(replies.security_first_steps())
        _hand_off(session, turn, HandoffReason.SECURITY, context, say=False)
        turn.urgent = True
        return True
    if _angry(context):
        _hand_off(session, turn, HandoffReason.ANGRY, context)
        return True
    return False


def _hand_off(
    session: BotSession,
    turn: Turn,
    reason: HandoffReason,
    context: Context,
    *,
    detail: str = "",
    say: bool = True,
) -> None:
    if say:
        turn.replies.append(replies.handoff(str(reason)))
    turn.handoff = reason
    turn.handoff_detail = detail
    session.state = BotState.HANDED_OFF
    session.handoff_reason = str(reason)


# --- answers and confirmations -------------------------------------------------------------------


def _answer_failed(session: BotSession, context: Context, turn: Turn) -> None:
    """The customer says the answer did not help: one more try, then a person."""
    session.failed_answers += 1
    if session.failed_answers >= MAX_FAILED_ANSWERS:
        _hand_off(session, turn, HandoffReason.FAILED_ANSWERS, context)
        return
    question = " ".join([str(session.slots.get("question", "")), context.text]).strip()
    hit = _best_article(session, context, question, require_close=False)
    if hit is None:
        _hand_off(session, turn, HandoffReason.FAILED_ANSWERS, context)
        return
    turn.replies.append(replies.another_try())
    _answer_with(session, context, turn, hit)


def _route(
    session: BotSession, context: Context, turn: Turn, intent: str, *, picked: bool = False
) -> Turn:
    """A new request: a greeting, a guided flow, an article, or a question back."""
    confident = picked or _confident(context)
    if intent == GREETING_INTENT and confident:
        if session.turns > 1 and is_yes(context.text):
            session.resolved = turn.resolved = True
            turn.replies.append(replies.welcome_back())
        else:
            turn.replies.append(replies.greeting(context.brand))
        return turn
    flow = FLOW_INTENTS.get(intent) if picked else _flow_for(context, session.flow)
    if flow and context.user_id:
        session.state, session.flow, session.retries = BotState.FLOW, flow, 0
        session.slots = {"intent": intent}
        _start_flow(session, context, turn)
        return turn
    hit = _best_article(
        session, context, context.text, require_close=not confident, intent=intent if picked else ""
    )
    if hit is not None:
        session.slots = {"question": context.text[:500]}
        _answer_with(session, context, turn, hit)
        if (flow or FLOW_INTENTS.get(intent)) and not context.user_id:
            turn.replies.append(replies.sign_in_for_lookups())
        return turn
    if intent == OUT_OF_SCOPE and confident:
        turn.replies.append(replies.out_of_scope())
        return turn
    return _clarify(session, context, turn)


def _flow_for(context: Context, previous: str = "") -> str:
    """The guided flow a message asks for: the flow of its likeliest intents together (a
    withdrawal "pending" or "failed" is the same lookup), or of any likely intent when the
    message carries what a lookup needs (a txid, a record id, a coin and amount)."""
    scores: dict[str, float] = {}
    ranked: list[str] = []
    for row in context.analysis.get("top") or ():
        flow = FLOW_INTENTS.get(str(row.get("intent")))
        if flow:
            scores[flow] = scores.get(flow, 0.0) + float(row.get("confidence") or 0)
            ranked.append(flow)
    if not scores and not (previous and context.user_id):
        return ""
    top = FLOW_INTENTS.get(str(context.analysis.get("intent")))
    if top and float(context.analysis.get("confidence") or 0) >= FLOW_TOP_CONFIDENCE:
        return top
    best = max(scores, key=lambda name: scores[name]) if scores else ""
    if best and scores[best] >= FLOW_CONFIDENCE:
        return best
    if not context.user_id:
        return ""
    found = _found(context)
    if found.record_ids:
        return "withdrawal" if found.record_ids[0].startswith("W") else "deposit"
    if found.txid:
        return _flow_of_txid(context, found.txid) or ranked[0]
    if found.txid or found.unknown_coins or (found.coin and found.amounts) or found.bad_txids:
        # Details after a flow's answer are most likely about the same thing.
        return previous or (ranked[0] if ranked else "")
    return ""


def _close(hit: SearchHit) -> bool:
    return hit.semantic >= ANSWER_SIMILARITY


def _top_intents(context: Context) -> list[str]:
    known = intents()
    return [
        str(row["intent"])
        for row in context.analysis.get("top") or ()
        if row.get("intent") in known and row.get("intent") != OUT_OF_SCOPE
    ][:3]


def _clarify(session: BotSession, context: Context, turn: Turn) -> Turn:
    options = _top_intents(context)
    session.retries += 1
    if not options or session.retries > MAX_RETRIES:
        _hand_off(session, turn, HandoffReason.FAILED_ANSWERS, context)
        return turn
    names = [_intent_name(intent, context.language) for intent in options]
    session.state, session.options = BotState.CLARIFYING, options
    turn.replies.append(replies.clarify(names))
    return turn


def _intent_name(intent: str, language: str) -> str:
    row = intents().get(intent)
    if row is None:
        return intent
    return row.name_zh if language == "zh" else row.name_en


def _best_article(
    session: BotSession,
    context: Context,
    question: str,
    *,
    require_close: bool,
    intent: str = "",
) -> SearchHit | None:
    probabilities = {
        str(row["intent"]): float(row["confidence"]) for row in context.analysis.get("top") or ()
    }
    if intent:
        probabilities = {intent: 1.0}
    hits = search_articles(
        question, limit=8, language=context.language, intent_probabilities=probabilities
    )
    shown = set(session.articles_shown)
    for hit in hits:
        if hit.slug in shown:
            continue
        if intent and intent not in hit.intents:
            continue
        if require_close and not _close(hit):
            return None
        return hit
    return None


def _answer_with(session: BotSession, context: Context, turn: Turn, hit: SearchHit) -> None:
    from kefu.knowledge.access import access_published_version

    version = access_published_version(hit.slug)
    local = version.in_language(context.language)
    turn.replies.append(
        replies.article_answer(
            local.title, local.summary, local.steps, context.article_url(hit.slug)
        )
    )
    session.articles_shown = [*session.articles_shown, hit.slug][-20:]
    session.state = BotState.CONFIRMING


# --- guided flows ----------------------------------------------------------------------------


def _start_flow(session: BotSession, context: Context, turn: Turn) -> None:
    try:
        if session.flow == "account_locked":
            _account_locked(session, context, turn)
        elif session.flow == "kyc":
            _kyc(session, context, turn)
        else:
            _flow_step(session, context, turn, first=True)
    except KefuError as error:
        _lookup_failed(session, context, turn, error)


def _insists(text: str) -> bool:
    folded = text.lower()
    return any(
        word in folded
        for word in (
            "sure",
            "correct",
            "checked",
            "right",
            "definitely",
            "certain",
            "100%",
            "positive",
            "确定",
            "肯定",
            "绝对",
            "确实",
            "没错",
            "对的",
            "核对",
            "检查过",
            "确认",
        )
    )


def _lookup_failed(session: BotSession, context: Context, turn: Turn, error: KefuError) -> None:
    logger.info("bot lookup failed in conversation %s: %s", session.conversation_id, error.code)
    turn.lookups.append(f"{session.flow}: {error.code}")
    _hand_off(session, turn, HandoffReason.LOOKUP_FAILED, context, detail=str(error.code))


_network_cache: dict[int, tuple[float, list[Network], list[str]]] = {}


def _exchange_lists(context: Context) -> tuple[list[Network], list[str]]:
    """The exchange's networks and unlisted tokens, asked for at most every five minutes."""
    key = id(context.exchange)
    cached = _network_cache.get(key)
    now = time.monotonic()
    if cached is None or now - cached[0] > NETWORKS_TTL:
        cached = (now, context.exchange.networks(), context.exchange.unsupported_tokens())
        _network_cache[key] = cached
    return cached[1], cached[2]


def _networks(context: Context) -> list[Network]:
    return _exchange_lists(context)[0]


def _unsupported(context: Context) -> list[str]:
    return _exchange_lists(context)[1]


def _flow_step(session: BotSession, context: Context, turn: Turn, *, first: bool) -> bool:
    networks = _networks(context)
    found = _found(context)
    if not first and not _flow_input(session, context):
        return False
    slots = dict(session.slots)
    if found.coin:
        slots["coin"] = found.coin
    if found.network:
        slots["network"] = found.network
    if found.txid:
        slots["txid"] = found.txid
    if found.record_ids:
        slots["record"] = found.record_ids[0]
    if found.amounts:
        slots["amount"] = str(found.amounts[0])
    slots.pop("awaiting", None)
    session.slots = slots
    bad_txids = list(found.bad_txids)
    if not found.txid and not bad_txids and session.retries:
        # After "that doesn't look like a txid", a bare fragment is another try at one.
        bad_txids = txid_fragments(context.text)
    if bad_txids and not found.txid:
        session.retries += 1
        if session.retries >= MAX_RETRIES:
            _hand_off(
                session,
                turn,
                HandoffReason.LOOKUP_FAILED,
                context,
                detail=_("malformed txid: %(txid)s") % {"txid": bad_txids[0][:70]},
            )
        else:
            turn.replies.append(replies.bad_txid(bad_txids[0]))
        return True
    if found.unknown_coins and not found.coin:
        # A token the exchange does not list: look for a deposit of it on the account.
        slots["coin"] = found.unknown_coins[0]
        slots["unlisted"] = True
    if not slots.get("coin"):
        unknown = unknown_symbols(context.text, networks, _COMMON_CAPS)
        if unknown and (not first or slots.get("asked")):
            turn.replies.append(replies.unknown_coin(unknown[0]))
            _hand_off(
                session,
                turn,
                HandoffReason.LOOKUP_FAILED,
                context,
                detail=_("unknown coin: %(coin)s") % {"coin": unknown[0]},
            )
            return True
    if found.txid and _flow_of_txid(context, found.txid) not in ("", session.flow):
        session.flow = _flow_of_txid(context, found.txid)
    if session.flow == "deposit":
        _deposit(session, context, turn, networks, first=first)
    else:
        _withdrawal(session, context, turn, first=first)
    return True


# Capitalised words that are not coin symbols.
_COMMON_CAPS = {
    "I",
    "OK",
    "ID",
    "TX",
    "TXID",
    "USD",
    "CNY",
    "EUR",
    "KYC",
    "API",
    "VIP",
    "P2P",
    "APP",
    "FAQ",
    "PLEASE",
    "HELP",
    "NOT",
    "NO",
    "YES",
    "MY",
    "THE",
    "AND",
    "WHERE",
    "WHY",
    "HOW",
    "URGENT",
    "ASAP",
    "HI",
    "HELLO",
    "MEMO",
    "TAG",
    "DEPOSIT",
    "WITHDRAWAL",
    "AM",
    "PM",
    "UTC",
    "IS",
    "IT",
}


def _flow_of_txid(context: Context, txid: str) -> str:
    """A txid the customer gives is a deposit or a withdrawal of theirs: ask the exchange."""
    try:
        if context.exchange.withdrawals(context.user_id, txid=txid, limit=1):
            return "withdrawal"
        if context.exchange.deposits(context.user_id, txid=txid, limit=1):
            return "deposit"
    except KefuError:
        return ""
    return ""


def _says_something_for_flow(found: Extracted, text: str, networks: list[Network]) -> bool:
    lowered = text.lower()
    return bool(
        found.coin
        or found.network
        or found.txid
        or found.bad_txids
        or found.record_ids
        or found.amounts
        or found.unknown_coins
        or any(word in lowered for word in LATEST)
        or unknown_symbols(text, networks, _COMMON_CAPS)
    )


def _deposit(
    session: BotSession, context: Context, turn: Turn, networks: list[Network], *, first: bool
) -> None:
    slots = session.slots
    coin, txid = str(slots.get("coin", "")), str(slots.get("txid", ""))
    amount = Decimal(str(slots["amount"])) if slots.get("amount") else None
    unlisted = bool(slots.get("unlisted"))
    if not txid and not (coin and amount is not None) and not unlisted and (first or not coin):
        slots["asked"] = True
        session.slots = slots
        turn.replies.append(replies.ask_deposit_details())
        return
    exchange = context.exchange
    rows: list[Deposit]
    if txid:
        rows = exchange.deposits(context.user_id, txid=txid)
        what = f"txid {txid[:16]}…"
    else:
        rows = exchange.deposits(context.user_id, coin=coin, limit=50)
        if amount is not None:
            rows = [row for row in rows if row.amount == amount]
            what = f"{replies.amount(amount)} {coin}"
        elif unlisted:
            what = coin
        else:
            rows = [row for row in rows if row.status != "credited"][:1] or rows[:1]
            what = coin
    if not rows and unlisted:
        turn.lookups.append(f"deposit {what}: not found")
        turn.replies.append(replies.unknown_coin(coin))
        _hand_off(
            session,
            turn,
            HandoffReason.LOOKUP_FAILED,
            context,
            detail=_("unknown coin: %(coin)s") % {"coin": coin},
        )
        return
    if not rows:
        turn.lookups.append(f"deposit {what}: not found")
        slots["awaiting"], slots["not_found"] = "insist", what
        session.slots = slots
        turn.replies.append(replies.deposit_not_found(what))
        return
    deposit = rows[0]
    per_confirmation = next(
        (
            network.minutes_per_confirmation
            for network in networks
            if network.coin == deposit.coin and network.code == deposit.network
        ),
        1.0,
    )
    detail = (
        f"{deposit.id} {replies.amount(deposit.amount)} {deposit.coin} {deposit.network}: "
        f"{deposit.status} {deposit.confirmations}/{deposit.required_confirmations}"
    )
    turn.lookups.append(detail)
    turn.replies.append(replies.deposit_state(deposit, per_confirmation))
    if deposit.status in RECOVERY_STATES:
        _hand_off(session, turn, HandoffReason.RECOVERY, context, detail=detail)
        return
    turn.replies.append(replies.did_that_help())
    session.state = BotState.CONFIRMING


def _withdrawal(session: BotSession, context: Context, turn: Turn, *, first: bool) -> None:
    slots = session.slots
    coin, txid, record = (str(slots.get(key, "")) for key in ("coin", "txid", "record"))
    amount = Decimal(str(slots["amount"])) if slots.get("amount") else None
    latest = any(word in context.text.lower() for word in LATEST)
    if first and not (txid or record or (coin and amount is not None) or latest):
        turn.replies.append(replies.ask_withdrawal_details())
        return
    exchange = context.exchange
    rows: list[Withdrawal]
    if record or txid:
        rows = exchange.withdrawals(context.user_id, txid=record or txid)
        what = record or f"txid {txid[:16]}…"
    else:
        rows = exchange.withdrawals(context.user_id, coin=coin, limit=50)
        if amount is not None:
            rows = [row for row in rows if row.amount == amount]
        else:
            # "The latest one": the latest that fits what the customer says happened.
            failed = session.slots.get("intent") == "withdrawal.failed"
            wanted = FAILED_STATES if failed else OPEN_STATES
            rows = [row for row in rows if row.status in wanted][:1] or rows[:1]
        what = " ".join(part for part in (replies.amount(amount) if amount else "", coin) if part)
    if not rows:
        turn.lookups.append(f"withdrawal {what or '-'}: not found")
        session.retries += 1
        if session.retries >= MAX_RETRIES:
            _hand_off(session, turn, HandoffReason.LOOKUP_FAILED, context, detail=what)
            return
        turn.replies.append(replies.withdrawal_not_found(what or _("that")))
        return
    withdrawal = rows[0]
    detail = (
        f"{withdrawal.id} {replies.amount(withdrawal.amount)} {withdrawal.coin} "
        f"{withdrawal.network}: {withdrawal.status} {withdrawal.reason}".strip()
    )
    turn.lookups.append(detail)
    turn.replies.append(replies.withdrawal_state(withdrawal))
    if withdrawal.status == "held":
        _hand_off(session, turn, HandoffReason.NEEDS_HUMAN, context, detail=detail)
        return
    turn.replies.append(replies.did_that_help())
    session.state = BotState.CONFIRMING


def _account_locked(session: BotSession, context: Context, turn: Turn) -> None:
    profile = context.exchange.profile(context.user_id)
    lock = profile.lock
    detail = f"lock: {lock.reason if lock else 'none'}"
    turn.lookups.append(detail)
    if lock is not None and lock.reason in HUMAN_LOCKS:
        turn.replies.append(replies.lock_state(lock))
        _hand_off(session, turn, HandoffReason.NEEDS_HUMAN, context, detail=detail)
        return
    turn.replies.append(replies.lock_state(lock))
    turn.replies.append(replies.did_that_help())
    session.state = BotState.CONFIRMING


def _kyc(session: BotSession, context: Context, turn: Turn) -> None:
    profile = context.exchange.profile(context.user_id)
    turn.lookups.append(
        f"kyc: {profile.kyc_status} level {profile.kyc_level} {profile.kyc_reason}".strip()
    )
    turn.replies.append(replies.kyc_state(profile))
    turn.replies.append(replies.did_that_help())
    session.state = BotState.CONFIRMING
