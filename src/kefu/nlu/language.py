"""Which language a customer wrote in: Chinese, English, mixed, or another with its code.

Scripts decide first, because they are certain: Han characters are Chinese (unless kana says
Japanese), hangul is Korean. A message in Latin letters is English unless ``langid`` is sure it
is another language: short chat lines ("ok", "thx", "gm ser") fool any statistical identifier,
and Kefu's customers write English or Chinese far more often than anything else. Wallet
addresses, transaction ids, links and numbers are removed before looking, since they are
neither language. Mixed Chinese-English ("我的USDT提币一直pending") is Chinese with ``mixed`` set.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

from kefu.lib.language import HAN

UNDETERMINED = "und"

_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_WORD = re.compile(r"[^\W\d_]{2,}")
_ASCII_WORD = re.compile(r"[A-Za-z]{2,}")
# Not language: links, emails, handles, hex hashes and addresses, long base58 strings, numbers.
_NOISE = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+|@\w+|0x[0-9a-fA-F]{6,}|\b[1-9A-HJ-NP-Za-km-z]{25,}\b"
    r"|\b[0-9a-fA-F]{32,}\b|[\d.,:%/+-]+"
)
# Coin tickers, networks and product words that appear inside Chinese sentences.
_TERM = re.compile(r"^(?:[A-Z0-9]{2,10}|[a-z]*\d+[a-z\d]*)$")
# Below this many words langid is not asked: it guesses wildly on "ok", "hello", "thx".
_MIN_WORDS_FOR_LANGID = 4
_LANGID_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Language:
    """``code`` is an ISO 639-1 code (``zh``, ``en``, ``ja`` ...) or ``und`` when the text has
    no words at all (emoji, numbers, an address). ``mixed``: Chinese and English together."""

    code: str
    confidence: float
    mixed: bool = False


def detect_language(text: str) -> Language:
    """Return the language of ``text``; never raises, whatever the input."""
    text = _NOISE.sub(" ", unicodedata.normalize("NFKC", text or "")[:4000])
    han = len(HAN.findall(text))
    kana = len(_KANA.findall(text))
    hangul = len(_HANGUL.findall(text))
    if kana >= 2 and kana * 4 >= han:
        return Language("ja", 1.0)
    if hangul >= 2 and hangul >= han:
        return Language("ko", 1.0)
    words = _WORD.findall(text)
    latin = [word for word in _ASCII_WORD.findall(text) if not _TERM.match(word)]
    if han:
        # Chinese counts per character, English per word; a few words in a Chinese sentence
        # are the norm ("我的 USDT 提币 pending 了").
        if len(latin) * 2 > han:
            return Language("en", round(len(latin) / (len(latin) + han), 3), mixed=True)
        mixed = len(latin) >= 1
        return Language("zh", round(han / (han + len(latin)), 3), mixed=mixed)
    if not words:
        return Language(UNDETERMINED, 0.0)
    ascii_only = all(word.isascii() for word in words)
    if ascii_only and len(words) < _MIN_WORDS_FOR_LANGID:
        return Language("en", 0.6)
    code, probability = _langid().classify(" ".join(words))
    if code == "en":
        return Language("en", round(float(probability), 3))
    if probability >= _LANGID_CONFIDENCE or not ascii_only:
        return Language(str(code), round(float(probability), 3))
    return Language("en", round(1.0 - float(probability), 3))


_identifier: Any = None
_identifier_lock = threading.Lock()


def _langid() -> Any:
    """langid's identifier with normalised probabilities; loading it takes about a second,
    so it happens once, on first need (``warm_up`` does it in the background)."""
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                from langid.langid import LanguageIdentifier, model

                _identifier = LanguageIdentifier.from_modelstring(model, norm_probs=True)
    return _identifier


def warm_up() -> None:
    """Load langid's model now (in a background thread, so nobody waits for it)."""
    threading.Thread(target=_langid, name="kefu-langid", daemon=True).start()
