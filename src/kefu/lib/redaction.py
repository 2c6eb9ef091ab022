"""Redact secrets that customers paste into support messages, before anything is stored.

Scammers pose as support staff and ask for seed phrases, private keys and 2FA codes; honest
customers paste them too, believing it helps. Kefu never stores them: each match is replaced by
a marker that says what was removed, and the caller is told which kinds were found so the
customer can be warned.

What is removed:
- seed phrases: 12 or more consecutive BIP39 words (English, or Chinese characters written with
  spaces between them, as wallets display them);
- private keys: WIF keys, extended private keys (xprv...), PEM private-key blocks, Solana-style
  64-byte base58 keys, and 64-hex-digit keys when the text calls them a key (a bare 64-hex value
  is far more often a transaction id, which support needs);
- one-time codes: a 4-8 digit number near words such as "2FA", "Google Authenticator" or "验证码";
- passwords: the word after "password:", "my password is", "密码是" and similar.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from mnemonic import Mnemonic


class SecretKind(StrEnum):
    """The kinds of secret that are redacted."""

    SEED_PHRASE = "seed_phrase"
    PRIVATE_KEY = "private_key"
    ONE_TIME_CODE = "one_time_code"
    PASSWORD = "password"  # noqa: S105 - the name of a kind of secret


MARKERS: dict[SecretKind, str] = {
    SecretKind.SEED_PHRASE: "[redacted seed phrase / 助记词已隐去]",
    SecretKind.PRIVATE_KEY: "[redacted private key / 私钥已隐去]",
    SecretKind.ONE_TIME_CODE: "[redacted code / 验证码已隐去]",
    SecretKind.PASSWORD: "[redacted password / 密码已隐去]",
}

SEED_PHRASE_MIN_WORDS = 12

_Note = Callable[[SecretKind], str]


@dataclass
class Redaction:
    """The redacted text and the kinds of secret that were removed from it."""

    text: str
    kinds: list[SecretKind] = field(default_factory=list)

    @property
    def was_redacted(self) -> bool:
        return bool(self.kinds)


@cache
def _english_words() -> frozenset[str]:
    return frozenset(Mnemonic("english").wordlist)


@cache
def _chinese_characters() -> frozenset[str]:
    simplified = Mnemonic("chinese_simplified").wordlist
    traditional = Mnemonic("chinese_traditional").wordlist
    return frozenset(simplified) | frozenset(traditional)


_BASE58 = "[1-9A-HJ-NP-Za-km-z]"
_PEM_KEY = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL
)
_EXTENDED_KEY = re.compile(rf"\b[xyztuv]prv{_BASE58}{{100,112}}\b")
_WIF_KEY = re.compile(rf"\b(?:5[HJK]{_BASE58}{{49}}|[KL]{_BASE58}{{51}})\b")
_BASE58_64_BYTES = re.compile(rf"\b{_BASE58}{{86,90}}\b")
# A Solana transaction signature is 64 bytes of base58 too: one the customer calls a txid or
# signature (and nothing in the message calls a key) is kept, so it can be looked up.
_TX_CONTEXT = re.compile(
    r"(?i)(txid|tx\s*id|tx\s*hash|\btx\b|\bsig\b|signature|transaction|\bhash\b|哈希|交易|签名)"
)
_TX_CONTEXT_WINDOW = 40
_HEX_64 = re.compile(r"\b(?:0x)?[0-9a-fA-F]{64}\b")
_KEY_WORDS = re.compile(r"(?i)(private\s*key|priv\s*key|secret\s*key|privkey|私钥|密钥)")
_CODE_CONTEXT = re.compile(
    r"(?i)(2\s*fa|two[- ]factor|authenticator|google\s*auth|\bg(?:oogle)?\s*code|\botp\b|"
    r"verification\s*code|security\s*code|sms\s*code|email\s*code|2fa\s*code|"
    r"验证码|谷歌验证|动态码|校验码|短信码|二次验证|双重验证|安全码)"
)
# Not the digits of a record id or a word ("W-200030", "TRC20", "2FA"): no letter or dash before.
_CODE = re.compile(r"(?<![A-Za-z\d.,#-])\d{4,8}(?![\d.,])")
_PASSWORD = re.compile(
    r"(?i)(?:pass\s*word|passwd|\bpwd\b|\bpw\b|登录密码|资金密码|交易密码|密码)"
    r"\s*(?:is|was|=|:|：|是|为|為)\s*"
    r"(?P<secret>[^\s，。,;；]{4,64})"
)
# Something that looks like a password, not a word: it has a digit or a symbol.
_PASSWORD_LIKE = re.compile(r"[\d!@#$%^&*_+=?~\-]")
_WORD = re.compile(r"[A-Za-z]+")
_CHINESE_SEED = re.compile(
    r"(?:[\u3400-\u9fff][\s,，、]+){" + str(SEED_PHRASE_MIN_WORDS - 1) + r",}[\u3400-\u9fff]"
)
# Between two words of a phrase: spaces, commas, or list numbering ("1.", "2)"), not a full stop.
_NUMBERING = re.compile(r"^(?:[\s,;、，；\-]|\(?\d+[.)、:：]?)*$")
_CODE_CONTEXT_WINDOW = 24


def redact_secrets(text: str) -> Redaction:
    """Return ``text`` with every recognised secret replaced by a marker.

    Safe on any input: empty text, long text and text in any script come back unchanged when
    nothing secret is found.
    """
    kinds: list[SecretKind] = []

    def note(kind: SecretKind) -> str:
        if kind not in kinds:
            kinds.append(kind)
        return MARKERS[kind]

    text = _PEM_KEY.sub(lambda _m: note(SecretKind.PRIVATE_KEY), text)
    text = _EXTENDED_KEY.sub(lambda _m: note(SecretKind.PRIVATE_KEY), text)
    text = _WIF_KEY.sub(lambda _m: note(SecretKind.PRIVATE_KEY), text)
    keyed = bool(_KEY_WORDS.search(text))

    def base58_64(match: re.Match[str]) -> str:
        before = text[max(0, match.start() - _TX_CONTEXT_WINDOW) : match.start()]
        if not keyed and _TX_CONTEXT.search(before):
            return match.group(0)
        return note(SecretKind.PRIVATE_KEY)

    text = _BASE58_64_BYTES.sub(base58_64, text)
    if _KEY_WORDS.search(text):
        text = _HEX_64.sub(lambda _m: note(SecretKind.PRIVATE_KEY), text)
    text = _redact_english_seed(text, note)
    text = _redact_chinese_seed(text, note)
    text = _PASSWORD.sub(lambda m: _redact_password(m, note), text)
    text = _redact_codes(text, note)
    return Redaction(text=text, kinds=kinds)


def _redact_english_seed(text: str, note: _Note) -> str:
    words = _english_words()
    tokens = list(_WORD.finditer(text))
    spans: list[tuple[int, int]] = []
    run: list[re.Match[str]] = []

    def close_run() -> None:
        if len(run) >= SEED_PHRASE_MIN_WORDS:
            spans.append((run[0].start(), run[-1].end()))
        run.clear()

    for token in tokens:
        if token.group(0).lower() in words and (not run or _is_separator(text, run[-1], token)):
            run.append(token)
        else:
            close_run()
            if token.group(0).lower() in words:
                run.append(token)
    close_run()
    return _replace_spans(text, spans, note, SecretKind.SEED_PHRASE)


def _redact_chinese_seed(text: str, note: _Note) -> str:
    characters = _chinese_characters()
    spans: list[tuple[int, int]] = []
    for match in _CHINESE_SEED.finditer(text):
        hanzi = [c for c in match.group(0) if "\u3400" <= c <= "\u9fff"]
        if all(c in characters for c in hanzi):
            spans.append((match.start(), match.end()))
    return _replace_spans(text, spans, note, SecretKind.SEED_PHRASE)


def _redact_password(match: re.Match[str], note: _Note) -> str:
    if not _PASSWORD_LIKE.search(match.group("secret")):
        return match.group(0)
    return match.group(0)[: match.start("secret") - match.start(0)] + note(SecretKind.PASSWORD)


def _redact_codes(text: str, note: _Note) -> str:
    spans: list[tuple[int, int]] = []
    for match in _CODE.finditer(text):
        before = text[max(0, match.start() - _CODE_CONTEXT_WINDOW) : match.start()]
        after = text[match.end() : match.end() + _CODE_CONTEXT_WINDOW // 2]
        if _CODE_CONTEXT.search(before) or _CODE_CONTEXT.search(after):
            spans.append((match.start(), match.end()))
    return _replace_spans(text, spans, note, SecretKind.ONE_TIME_CODE)


def _is_separator(text: str, previous: re.Match[str], token: re.Match[str]) -> bool:
    """Whether only spaces, punctuation or numbering stand between two words."""
    return bool(_NUMBERING.match(text[previous.end() : token.start()]))


def _replace_spans(text: str, spans: list[tuple[int, int]], note: _Note, kind: SecretKind) -> str:
    for start, end in reversed(spans):
        text = text[:start] + note(kind) + text[end:]
    return text
