"""Language identification: scripts first, English for short Latin lines, langid when sure."""

from __future__ import annotations

import pytest

from kefu.nlu.language import detect_language


@pytest.mark.parametrize(
    ("text", "code", "mixed"),
    [
        ("我的充币还没到账", "zh", False),
        ("我的USDT提币一直pending，怎么回事", "zh", True),
        ("提U到TRC20地址要多久", "zh", False),  # tickers and networks are not English
        ("My withdrawal is stuck since yesterday", "en", False),
        ("ok", "en", False),
        ("gm ser wen moon", "en", False),
        ("please check my 充值 it is missing for two days", "en", True),
        ("Hola, mi depósito no ha llegado todavía a mi cuenta", "es", False),
        ("Привет, где мой депозит?", "ru", False),
        ("入金されていません", "ja", False),
        ("입금이 안돼요", "ko", False),
    ],
)
def test_language_of_customer_messages(text: str, code: str, mixed: bool) -> None:
    found = detect_language(text)
    assert (found.code, found.mixed) == (code, mixed)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😡😡😡", "0x" + "ab" * 20, "12345 67.8", "\x00\x01\x02", "https://example.com/x"],
)
def test_text_without_words_is_undetermined(text: str) -> None:
    found = detect_language(text)
    assert found.code == "und"
    assert found.confidence == 0.0


def test_huge_text_is_answered() -> None:
    assert detect_language("充币没到账 " * 20_000).code == "zh"
