"""A quick language guess for routing and replies until the NLU model has its say.

Chinese is recognised by its characters; everything else is treated as English, the other
language Kefu serves.
"""

from __future__ import annotations

import re

# Chinese characters (unified ideographs, extension A and B, compatibility ideographs).
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002a6df]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def guess_language(text: str, default: str = "en") -> str:
    """Return ``zh`` when Chinese characters carry the text, else ``en`` (or ``default``)."""
    han = len(HAN.findall(text))
    words = len(_LATIN_WORD.findall(text))
    if han == 0 and words == 0:
        return default
    # A Chinese sentence with a few English terms (USDT, TRC20, KYC) is still Chinese.
    return "zh" if han >= words else "en"


def normalise_language(code: str | None, default: str = "en") -> str:
    """Map a browser or Django language code (zh-hans, zh-CN, en-US) to ``zh`` or ``en``."""
    if not code:
        return default
    code = code.lower()
    if code.startswith("zh"):
        return "zh"
    if code.startswith("en"):
        return "en"
    return default
