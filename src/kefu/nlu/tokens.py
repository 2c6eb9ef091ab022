"""Words of a customer message for the sparse (TF-IDF) features: Chinese segmented by jieba with
a dictionary of exchange terms (充币, 提U, 出金, 助记词, 爆仓 ...), English lower-cased, numbers,
amounts, addresses and links folded into placeholders so "0.5 BTC" and "3 BTC" look alike."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from pathlib import Path
from typing import Any

TERMS_FILE = Path(__file__).parent / "data" / "crypto_terms.txt"
MAX_CHARS = 2000

_PLACEHOLDERS = (
    (re.compile(r"https?://\S+|www\.\S+"), " zzurl "),
    (re.compile(r"\S+@\S+\.\w+"), " zzemail "),
    (re.compile(r"\b0x[0-9a-f]{40}\b|\b(?:bc1|[13t])[0-9a-z]{25,60}\b"), " zzaddress "),
    (re.compile(r"\b(?:0x)?[0-9a-f]{32,}\b"), " zztxid "),
    # Amounts and counts, but not the digits of names such as trc20 or 2fa.
    (re.compile(r"(?<![a-z0-9])\d+(?:[.,]\d+)*(?![0-9]*[a-z])"), " zznum "),
)
# What is kept of jieba's output: words, not spaces and punctuation.
_WORD = re.compile(r"\w")

_tokenizer: Any = None
_lock = threading.Lock()


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, placeholders for numbers and identifiers."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower()
    for pattern, placeholder in _PLACEHOLDERS:
        text = pattern.sub(placeholder, text)
    return text


def words(text: str) -> list[str]:
    """The word tokens of ``text`` (already normalised or not)."""
    return [word for word in _jieba().lcut(normalise(text), HMM=False) if _WORD.match(word)]


def warm_up() -> None:
    """Load jieba's dictionary and ours now, in a background thread: a model load starts it
    first, so it overlaps with reading the encoders' weights instead of delaying the first
    message."""
    threading.Thread(target=_jieba, name="kefu-jieba", daemon=True).start()


def _jieba() -> Any:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.load_userdict(str(TERMS_FILE))
                _tokenizer = tokenizer
    return _tokenizer
