"""What a customer's message says that a guided flow needs: coin, network, txid, amount, a record
id, and whether it is a yes, a no or a request for a person. Customers write "我充的U", "usdt
trc-20", "0x…", "500u"; this module reads all of them, against the exchange's own list of coins
and networks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from kefu.exchange.adapter import Network, TxidFormat

# Words customers use for coins and networks, beside their symbols and codes.
COIN_ALIASES = {
    "泰达币": "USDT",
    "泰达": "USDT",
    "tether": "USDT",
    "usdt币": "USDT",
    "比特币": "BTC",
    "bitcoin": "BTC",
    "大饼": "BTC",
    "以太坊": "ETH",
    "以太币": "ETH",
    "以太": "ETH",
    "ether": "ETH",
    "ethereum": "ETH",
    "姨太": "ETH",
    "瑞波币": "XRP",
    "瑞波": "XRP",
    "ripple": "XRP",
    "波场币": "TRX",
    "tron": "TRX",
    "索拉纳": "SOL",
    "solana": "SOL",
    "币安币": "BNB",
    "toncoin": "TON",
}
NETWORK_ALIASES = {
    "tron": "TRC20",
    "波场": "TRC20",
    "trc": "TRC20",
    "erc": "ERC20",
    "ethereum": "ERC20",
    "以太坊链": "ERC20",
    "以太坊网络": "ERC20",
    "eth链": "ERC20",
    "bep": "BEP20",
    "bsc": "BEP20",
    "bnbsmartchain": "BEP20",
    "币安链": "BEP20",
    "币安智能链": "BEP20",
    "solana": "SOL",
    "sol链": "SOL",
    "索拉纳": "SOL",
    "arbitrum": "ARBITRUM",
    "arb": "ARBITRUM",
    "arbitrumone": "ARBITRUM",
    "bitcoin": "BTC",
    "比特币网络": "BTC",
    "ripple": "XRP",
    "瑞波链": "XRP",
    "ton链": "TON",
}
TXID_PATTERNS = {
    TxidFormat.HEX64_0X: re.compile(r"(?<![0-9a-zA-Z])0x[0-9a-fA-F]{64}(?![0-9a-zA-Z])"),
    TxidFormat.HEX64: re.compile(r"(?<![0-9a-zA-Z])[0-9a-fA-F]{64}(?![0-9a-zA-Z])"),
    TxidFormat.BASE58: re.compile(r"(?<![0-9a-zA-Z])[1-9A-HJ-NP-Za-km-z]{86,88}(?![0-9a-zA-Z])"),
}
# Something pasted as a transaction id that has none of the formats: long, no spaces, mostly
# hex or base58 characters (addresses are told apart by their prefixes and lengths).
_TXID_LIKE = re.compile(r"(?<![0-9a-zA-Z])(?:0x)?[0-9a-zA-Z]{20,130}(?![0-9a-zA-Z])")
_ADDRESS = re.compile(
    r"^(?:0x[0-9a-fA-F]{40}|T[1-9A-HJ-NP-Za-km-z]{33}|bc1[0-9a-z]{25,62}|[13][1-9A-HJ-NP-Za-km-z]{25,34}"
    r"|r[1-9A-HJ-NP-Za-km-z]{24,34}|(?:UQ|EQ)[0-9A-Za-z_-]{46}|[1-9A-HJ-NP-Za-km-z]{32,44})$"
)
_RECORD_ID = re.compile(r"(?<![A-Za-z0-9])([DW])-?(\d{4,12})(?![0-9])", re.IGNORECASE)
_FRAGMENT = re.compile(r"(?<![0-9A-Za-z])(?:0x)?[0-9a-fA-F]{6,63}(?![0-9A-Za-z])")


def txid_fragments(text: str) -> list[str]:
    """Hex pieces too short to be a txid ("7f3c9a1e"), as customers paste when they have no
    whole one."""
    return [
        token
        for token in _FRAGMENT.findall(text)
        if re.search(r"\d", token) and re.search(r"[a-fA-F]", token)
    ]


_AMOUNT = re.compile(
    r"(?<![0-9a-zA-Z.#-])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:\s*([a-zA-Z]+))?"
)
# Things customers put before a transaction id, and a short or broken one after them.
_TXID_LABEL = re.compile(
    r"(?:txid|tx\s*id|tx\s*hash|hash|transaction\s*id|交易哈希|哈希|交易id|交易号)\s*[:：是为]?\s*"
    r"((?:0x)?[0-9a-zA-Z]{4,130})",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]+")
_CHINESE_U = re.compile(r"[\u4e00-\u9fff]\s*u(?![a-z])|(?<![a-z])u\s*[\u4e00-\u9fff]")
_CAPS_TOKEN = re.compile(r"(?<![A-Za-z0-9])([A-Z][A-Z0-9]{1,9})(?![A-Za-z0-9])")

YES = {
    "yes",
    "yep",
    "yeah",
    "yup",
    "y",
    "ok",
    "okay",
    "k",
    "sure",
    "thanks",
    "thank",
    "thx",
    "ty",
    "solved",
    "resolved",
    "fixed",
    "great",
    "perfect",
    "helpful",
    "helped",
    "works",
    "worked",
    "understood",
    "cool",
    "clear",
    "answers",
    "answered",
    "good",
    "nice",
    "cheers",
    "sorted",
    "awesome",
    "appreciate",
    "appreciated",
    "found",
}
NO = {
    "no",
    "nope",
    "nah",
    "not",
    "didn't",
    "didnt",
    "doesn't",
    "doesnt",
    "don't",
    "dont",
    "useless",
    "wrong",
    "unhelpful",
    "still",
    "isn't",
    "isnt",
    "hasn't",
    "hasnt",
}
YES_ZH = (
    "是的",
    "好的",
    "谢谢",
    "感谢",
    "多谢",
    "解决了",
    "明白",
    "了解",
    "清楚了",
    "可以了",
    "行了",
    "没问题",
    "懂了",
    "知道了",
    "有用",
    "有帮助",
    "收到",
    "搞定",
    "找到了",
    "没事了",
    "辛苦",
    "谢了",
    "谢啦",
    "我再等",
    "那我等",
    "再等等",
)
# One-character answers count only as the whole reply ("好", "行", "嗯嗯", "对的").
YES_ZH_SHORT = re.compile(r"^(?:好|行|嗯|对|可以|是|ok)+(?:的|啦|了|吧)?$")
NO_ZH = (
    "没用",
    "没有用",
    "不行",
    "不是",
    "没解决",
    "没有解决",
    "不对",
    "还是没",
    "还没",
    "不能",
    "不管用",
    "没帮助",
    "没有帮助",
    "没帮上",
    "不明白",
    "不懂",
    "不清楚",
    "没看懂",
    "看不懂",
    "答非所问",
    "不是这个",
)
HUMAN_EN = re.compile(
    r"\b(?:human|real person|live (?:agent|person|chat)|representative|operator|someone real"
    r"|(?:talk|speak|chat)\s+(?:to|with)\s+(?:an?\s+|a\s+real\s+|your\s+)?(?:someone|somebody|support|staff"
    r"|person|agent|people|manager|supervisor)"
    r"|(?:connect|transfer|put)\s+me\s+(?:to|through|with)\b"
    r"|(?:need|want|get)\s+(?:an?\s+|a\s+real\s+)?(?:agent|person|human|people)"
    r"|^\s*(?:agent|human|person)\s*(?:please|pls|plz)?\s*[.!?]*\s*$)",
    re.IGNORECASE,
)
HUMAN_ZH = re.compile(r"人工|真人|客服人员|转接|找个人|活人|工作人员|人工客服")
COMPLAINT = re.compile(r"\bcomplain(?:t|ts|ing)?\b|投诉|举报你们|要求赔偿", re.IGNORECASE)


def complains(text: str) -> bool:
    return bool(COMPLAINT.search(text))


def fold(text: str) -> str:
    """Full-width to half-width and lower case (Ｕ→u, ＴＲＣ２０→trc20)."""
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True)
class Extracted:
    coins: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    txids: tuple[str, ...] = ()
    bad_txids: tuple[str, ...] = ()
    amounts: tuple[Decimal, ...] = ()
    record_ids: tuple[str, ...] = ()
    unknown_coins: tuple[str, ...] = ()

    @property
    def coin(self) -> str:
        return self.coins[0] if self.coins else ""

    @property
    def network(self) -> str:
        return self.networks[0] if self.networks else ""

    @property
    def txid(self) -> str:
        return self.txids[0] if self.txids else ""


def extract(text: str, networks: list[Network], unsupported: Sequence[str] = ()) -> Extracted:
    """Read coin, network, txid, amount and record ids out of ``text``."""
    text = unicodedata.normalize("NFKC", text)[:4000]
    txids: list[str] = []
    spans: list[tuple[int, int]] = []
    for pattern in TXID_PATTERNS.values():
        for match in pattern.finditer(text):
            if any(start <= match.start() < end for start, end in spans):
                continue
            txids.append(match.group(0))
            spans.append(match.span())
    bad: list[str] = []
    for match in _TXID_LABEL.finditer(text):
        token, span = match.group(1), match.span(1)
        if any(start <= span[0] < end for start, end in spans) or token.isalpha():
            continue
        bad.append(token)
        spans.append(span)
    for match in re.finditer(r"(?<![0-9a-zA-Z])0x[0-9a-fA-F]{2,63}(?![0-9a-zA-Z])", text):
        if not any(start <= match.start() < end for start, end in spans):
            bad.append(match.group(0))
            spans.append(match.span())
    for match in _TXID_LIKE.finditer(text):
        token = match.group(0)
        if any(start <= match.start() < end for start, end in spans):
            continue
        if _ADDRESS.match(token) or not _looks_like_txid(token):
            continue
        bad.append(token)
        spans.append(match.span())
    record_ids = [f"{kind.upper()}-{number}" for kind, number in _RECORD_ID.findall(text)]
    remaining = _without(text, spans)
    coins_known = sorted({network.coin for network in networks}, key=len, reverse=True)
    codes = {network.code.lower(): network.code for network in networks}
    squashed = re.sub(r"[\s_-]+", "", fold(remaining))
    words = _WORD.findall(fold(remaining))
    found_networks: list[str] = []
    for code_lower, code in sorted(codes.items(), key=lambda item: -len(item[0])):
        if code_lower in squashed and _network_mentioned(code_lower, squashed, words, coins_known):
            found_networks.append(code)
    for alias, code in NETWORK_ALIASES.items():
        if (
            code in codes.values()
            and code not in found_networks
            and _alias_in(alias, squashed, words)
        ):
            found_networks.append(code)
    found_coins: list[str] = []
    for coin in coins_known:
        if _coin_in(coin.lower(), folded_words := words, squashed):
            found_coins.append(coin)
    for alias, coin in COIN_ALIASES.items():
        if (
            coin in coins_known
            and coin not in found_coins
            and _alias_in(alias, squashed, folded_words)
        ):
            found_coins.append(coin)
    # "U" is USDT next to Chinese ("提U", "我的U") but "you" in English ("can u check").
    if "USDT" in coins_known and "USDT" not in found_coins and _CHINESE_U.search(fold(remaining)):
        found_coins.append("USDT")
    unsupported_upper = {token.upper() for token in unsupported}
    unknown: list[str] = []
    for token in _CAPS_TOKEN.findall(remaining):
        upper = token.upper()
        if upper in unsupported_upper:
            unknown.append(upper)
    amounts = []
    units = {coin.lower() for coin in coins_known} | {"u", "usd", "k"}
    for match in _AMOUNT.finditer(_without(remaining, _record_spans(remaining))):
        raw = match.group(1).replace(",", "")
        unit = (match.group(2) or "").lower()
        glued = match.end(1) == match.start(2) if match.group(2) else False
        if unit and glued and unit not in units:
            continue  # 7f3c…, 2fa, trc20, 10x
        after = remaining[match.end(1) : match.end(1) + 3]
        if re.match(r"\s*(?:分钟|小时|天|次|个|%|min|hour|day|confirm)", after, re.IGNORECASE):
            continue
        try:
            value = Decimal(raw) * (1000 if unit == "k" and glued else 1)
        except InvalidOperation:
            continue
        if value > 0:
            amounts.append(value)
            if glued and unit in units - {"usd", "k"}:
                coin = "USDT" if unit == "u" else unit.upper()
                if coin in coins_known and coin not in found_coins:
                    found_coins.append(coin)
    return Extracted(
        coins=tuple(dict.fromkeys(found_coins)),
        networks=tuple(dict.fromkeys(found_networks)),
        txids=tuple(txids),
        bad_txids=tuple(bad),
        amounts=tuple(amounts),
        record_ids=tuple(record_ids),
        unknown_coins=tuple(dict.fromkeys(unknown)),
    )


def unknown_symbols(text: str, networks: list[Network], words_to_ignore: set[str]) -> list[str]:
    """Upper-case tokens that look like coin symbols but are not the exchange's (``XYZ``)."""
    known = {network.coin for network in networks} | {network.code for network in networks}
    found = []
    for token in _CAPS_TOKEN.findall(unicodedata.normalize("NFKC", text)):
        if token in known or token in words_to_ignore or token.isdigit():
            continue
        if re.fullmatch(r"[DW]-?\d+", token) or re.fullmatch(r"(?:TRC|ERC|BEP)\d*", token):
            continue
        found.append(token)
    return found


def _looks_like_txid(token: str) -> bool:
    body = token[2:] if token.lower().startswith("0x") else token
    if len(body) < 20 or body.isalpha() or body.isdigit():
        return False
    hexish = sum(character in "0123456789abcdefABCDEF" for character in body) / len(body)
    return hexish > 0.8 or (len(body) >= 40 and any(c.isdigit() for c in body))


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return text


def _record_spans(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in _RECORD_ID.finditer(text)]


def _alias_in(alias: str, squashed: str, words: list[str]) -> bool:
    if re.fullmatch(r"[a-z0-9]+", alias):
        return alias in words or (len(alias) >= 5 and alias in squashed)
    return alias in squashed


def _coin_in(coin: str, words: list[str], squashed: str) -> bool:
    if coin in words:
        return True
    # "500usdt", "usdt充值", "充了0.5btc": the symbol glued to digits or Chinese.
    return bool(re.search(rf"(?<![a-z]){re.escape(coin)}(?![a-z])", squashed))


def _network_mentioned(code: str, squashed: str, words: list[str], coins: list[str]) -> bool:
    """A network code that is also a coin (BTC, SOL, XRP, TON) counts as a network only when
    the customer says "network"/"链"/"网络" next to it or names it with no other coin."""
    if code.upper() not in coins:
        return True
    return bool(
        re.search(
            rf"{code}(?:network|chain|链|网络|主网)|(?:network|链|网络)[:：]?{code}", squashed
        )
    )


def is_yes(text: str) -> bool:
    """A confirmation ("yes", "thanks, solved", "好的 解决了"), not a new question."""
    folded = fold(text).strip()
    if len(folded) > 160:
        return False
    if any(phrase in folded for phrase in NO_ZH):
        return False
    words = set(re.findall(r"[a-z']+", folded))
    if words & NO:
        return False
    bare = re.sub(r"[\s.,!?。，！？~～]+", "", folded)
    return (
        bool(words & YES)
        or "got it" in folded
        or any(phrase in folded for phrase in YES_ZH)
        or bool(YES_ZH_SHORT.match(bare))
    )


BARE_YES = {
    "yes",
    "yeah",
    "yep",
    "y",
    "ok",
    "okay",
    "sure",
    "please",
    "yes please",
    "是",
    "是的",
    "对",
    "对的",
    "好",
    "好的",
    "确定",
    "嗯",
    "可以",
    "要",
    "需要",
}


def is_bare_yes(text: str) -> bool:
    """Just "yes" (or "好的"), nothing else: an answer to a yes/no offer."""
    return re.sub(r"[\s.,!?。，！？~～]+", " ", fold(text)).strip() in BARE_YES


def is_no(text: str) -> bool:
    folded = fold(text).strip()
    if any(phrase in folded for phrase in NO_ZH):
        return True
    words = set(re.findall(r"[a-z']+", folded))
    return bool(words & NO) and not (words & {"thanks", "thank", "solved", "fixed"})


def asks_for_human(text: str) -> bool:
    return bool(HUMAN_EN.search(text) or HUMAN_ZH.search(text))


def choice_number(text: str, options: int) -> int | None:
    """The option a customer picked by number ("2", "第二个", "option 3"), if any."""
    folded = fold(text).strip()
    match = re.fullmatch(r"(?:option\s*|选项?\s*|第)?\s*([1-9])\s*(?:个|项|号)?[.。!！]?", folded)
    if match:
        number = int(match.group(1))
    else:
        chinese = {"一": 1, "二": 2, "三": 3, "两": 2}
        match = re.fullmatch(r"第?([一二三两])个?[.。]?", folded)
        if not match:
            return None
        number = chinese[match.group(1)]
    return number if 1 <= number <= options else None
