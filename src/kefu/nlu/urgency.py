"""Urgency signals in a customer message, each one a reason a person can read.

The signals are words and patterns, not a model: an agent must be able to see why a message was
flagged, and "hacked" means hacked in any mood. Routing (priority) weighs them; the console
shows them beside the message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

# Signal id → what an agent reads.
SIGNALS = {
    "hacked": _("says the account was hacked or used by someone else"),
    "stolen": _("says funds were stolen or are missing"),
    "money_at_risk": _("money at stake"),
    "scam": _("mentions a scam or an impersonator"),
    "threat": _("threatens legal action, the police or a regulator"),
    "all_caps": _("writes in capitals"),
    "exclamations": _("many exclamation or question marks"),
    "repeated_contact": _("has contacted us before this week"),
}

_HACKED = re.compile(
    r"\bhack(?:ed|er|ers)?\b|\bcompromised?\b|\bunauthori[sz]ed\b|\bnot me\b|wasn'?t me"
    r"|someone (?:else )?(?:logged|log|got|accessed|changed|is using)|\btook over\b"
    r"|被盗|盗号|盗(?:了)?我(?:的)?(?:号|账号|账户)|被黑|黑客|被人登[录陆]|异地登[录陆]|不是我(?:本人)?操作|不是我本人|账号被(?:人)?(?:改|登|控制)"
)
_STOLEN = re.compile(
    r"\bstol(?:e|en)\b|\bdrain(?:ed)?\b|\bemptied\b|\bmissing (?:funds|coins|money|assets)\b"
    r"|\b(?:funds|coins|money|assets|balance) (?:are |is )?(?:gone|missing|disappeared)\b"
    r"|被转走|被偷|偷走|被盗走|资产不见|余额不见|币不见|钱没了|币没了|资产没了|清空了|被提走|被提币"
)
_SCAM = re.compile(
    r"\bscam(?:mer|med)?s?\b|\bphishing\b|\bfake (?:support|admin|site|website|app)\b"
    r"|\bimpersonat|骗子|被骗|诈骗|钓鱼|假客服|假冒|冒充"
)
_THREAT = re.compile(
    r"\blawyers?\b|\bsue\b|\blawsuit\b|\bpolice\b|\bregulators?\b|\bcourt\b|\bsec\b"
    r"|报警|律师|起诉|法院|监管|曝光|315"
)
_AMOUNT = re.compile(
    r"(?P<prefix>[$¥€£])\s?(?P<number>\d[\d,]*(?:\.\d+)?)\s?(?P<scale>[kKmMwW万千]?)"
    r"|(?P<number2>\d[\d,]*(?:\.\d+)?)\s?(?P<scale2>[kKmM万千]?)\s?"
    r"(?P<unit>usdt|usdc|btc|eth|bnb|sol|trx|xrp|doge|ton|u(?![a-z])|usd|cny|rmb|eur|元|块|美元|美金|刀)",
    re.IGNORECASE,
)
_SCALES = {"k": 1_000, "千": 1_000, "w": 10_000, "万": 10_000, "m": 1_000_000}
_CURRENCY = {"u": "USDT", "元": "CNY", "块": "CNY", "rmb": "CNY", "美元": "USD", "美金": "USD"}
_CURRENCY |= {"刀": "USD", "$": "USD", "¥": "CNY", "€": "EUR", "£": "GBP"}
_CAPS_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
_TICKERS = {"USDT", "USDC", "BTC", "ETH", "BNB", "SOL", "TRX", "XRP", "KYC", "API", "TRC", "ERC"}
_MARKS = re.compile(r"[!！?？]{3,}")
# Intents where an amount in the message is money the customer may lose.
MONEY_INTENTS = frozenset(
    {
        "deposit.not_credited",
        "deposit.wrong_network_or_memo",
        "withdrawal.pending",
        "withdrawal.failed",
        "security.unauthorized_access",
        "security.phishing_scam",
        "fiat.deposit_issue",
        "fiat.withdrawal_issue",
        "p2p.dispute",
        "trade.futures_liquidation",
        "trade.order_issue",
    }
)
HIGH = frozenset({"hacked", "stolen", "scam"})
SOFT = frozenset({"all_caps", "exclamations", "repeated_contact"})


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str


@dataclass(frozen=True)
class Urgency:
    level: str  # "high", "elevated" or "normal"
    signals: tuple[str, ...]
    amount: Amount | None


def assess(
    text: str, *, intent: str = "", previous_contacts: int = 0, sentiment: str = ""
) -> Urgency:
    """The urgency signals of one message. ``previous_contacts``: the customer's other
    conversations in the last days (the caller counts them). Shouting, exclamation marks and
    repeated contact raise the level only when the message is not a happy one ("Thanks!!!")."""
    text = unicodedata.normalize("NFKC", text[:5000])
    lowered = text.lower()
    signals: list[str] = []
    if _HACKED.search(lowered):
        signals.append("hacked")
    if _STOLEN.search(lowered):
        signals.append("stolen")
    if _SCAM.search(lowered):
        signals.append("scam")
    if _THREAT.search(lowered):
        signals.append("threat")
    amount = largest_amount(text)
    if amount is not None and (intent in MONEY_INTENTS or {"hacked", "stolen"} & set(signals)):
        signals.append("money_at_risk")
    if _shouting(text):
        signals.append("all_caps")
    if _MARKS.search(text):
        signals.append("exclamations")
    if previous_contacts > 0:
        signals.append("repeated_contact")
    if HIGH & set(signals) or ("money_at_risk" in signals and "threat" in signals):
        level = "high"
    elif set(signals) - SOFT or (signals and sentiment != "positive"):
        level = "elevated"
    else:
        level = "normal"
    return Urgency(level, tuple(signals), amount)


def largest_amount(text: str) -> Amount | None:
    """The largest amount of money named in ``text`` ("5000 USDT", "$3,000", "2万U")."""
    best: Amount | None = None
    for match in _AMOUNT.finditer(text):
        number = match.group("number") or match.group("number2")
        scale = (match.group("scale") or match.group("scale2") or "").lower()
        unit = (match.group("prefix") or match.group("unit") or "").lower()
        try:
            value = Decimal(number.replace(",", "")) * _SCALES.get(scale, 1)
        except InvalidOperation:
            continue
        currency = _CURRENCY.get(unit, unit.upper())
        if best is None or value > best.value:
            best = Amount(value, currency)
    return best


def _shouting(text: str) -> bool:
    words = [word for word in _CAPS_WORD.findall(text) if word.upper() not in _TICKERS]
    capitals = [word for word in words if word.isupper()]
    return len(capitals) >= 3 and len(capitals) >= 0.6 * len(words)
