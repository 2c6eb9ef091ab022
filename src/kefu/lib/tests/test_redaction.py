from __future__ import annotations

import pytest
from mnemonic import Mnemonic

from kefu.lib.redaction import MARKERS, SecretKind, redact_secrets

TXID = "7f3c9a1be2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5"


def english_phrase(words: int = 12) -> str:
    """A valid BIP39 phrase from fixed entropy, so every run tests the same words."""
    return Mnemonic("english").to_mnemonic(bytes(range(7, 7 + words * 4 // 3)))


def test_it_removes_an_english_seed_phrase_and_keeps_the_rest() -> None:
    phrase = english_phrase()
    result = redact_secrets(f"hi support, my wallet words: {phrase}. please help")
    assert phrase not in result.text
    assert result.kinds == [SecretKind.SEED_PHRASE]
    assert (
        result.text
        == f"hi support, my wallet words: {MARKERS[SecretKind.SEED_PHRASE]}. please help"
    )


def test_it_removes_a_numbered_24_word_phrase() -> None:
    words = english_phrase(24).split()
    numbered = "\n".join(f"{i}. {word}" for i, word in enumerate(words, start=1))
    result = redact_secrets(numbered)
    assert result.text == "1. " + MARKERS[SecretKind.SEED_PHRASE]
    assert result.kinds == [SecretKind.SEED_PHRASE]


def test_it_removes_a_chinese_seed_phrase_written_with_spaces() -> None:
    phrase = Mnemonic("chinese_simplified").to_mnemonic(bytes(range(40, 56)))
    result = redact_secrets(f"我的助记词是 {phrase} 帮我找回")
    assert phrase not in result.text
    assert result.kinds == [SecretKind.SEED_PHRASE]


def test_ordinary_chinese_text_is_not_a_seed_phrase() -> None:
    text = "我的账户是不是被人登录了，为什么有一笔我不认识的提现，请马上帮我冻结账户"
    assert redact_secrets(text).text == text


def test_ordinary_english_text_is_not_a_seed_phrase() -> None:
    text = (
        "I sent some bitcoin to my account yesterday evening and it still has not arrived "
        "in my balance, can you please check what happened with the transfer"
    )
    assert redact_secrets(text).kinds == []


def test_a_transaction_id_is_kept_but_a_key_named_as_such_is_removed() -> None:
    assert redact_secrets(f"txid {TXID}").text == f"txid {TXID}"
    result = redact_secrets(f"my private key is 0x{TXID}")
    assert TXID not in result.text
    assert result.kinds == [SecretKind.PRIVATE_KEY]


@pytest.mark.parametrize(
    "key",
    [
        "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ",
        "KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvP98617",
        "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi",
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIVATE KEY-----",
    ],
)
def test_it_removes_private_keys(key: str) -> None:
    result = redact_secrets(f"here: {key} thanks")
    assert key not in result.text
    assert result.kinds == [SecretKind.PRIVATE_KEY]
    assert result.text.endswith(" thanks")


@pytest.mark.parametrize(
    "text",
    [
        "my google authenticator code is 482913",
        "2FA: 482913",
        "谷歌验证码 482913",
        "短信验证码是482913，请帮我登录",
    ],
)
def test_it_removes_one_time_codes_given_in_context(text: str) -> None:
    result = redact_secrets(text)
    assert "482913" not in result.text
    assert result.kinds == [SecretKind.ONE_TIME_CODE]


@pytest.mark.parametrize(
    "text",
    [
        "order 482913 was not filled",
        "I withdrew 150000 USDT",
        "API error code -1021 timestamp outside recvWindow",
        "my UID is 10004412",
    ],
)
def test_numbers_without_a_code_context_are_kept(text: str) -> None:
    assert redact_secrets(text).text == text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("my password is Hunter2024!", "Hunter2024!"),
        ("密码是abc12345，帮我看看", "abc12345"),
        ("pwd: s3cret-pass", "s3cret-pass"),
    ],
)
def test_it_removes_passwords(text: str, secret: str) -> None:
    result = redact_secrets(text)
    assert secret not in result.text
    assert result.kinds == [SecretKind.PASSWORD]


def test_talking_about_a_password_is_not_a_password() -> None:
    for text in ("my password is wrong", "忘记密码怎么办", "password reset please"):
        assert redact_secrets(text).kinds == []


@pytest.mark.parametrize("text", ["", " ", "😀😀😀", "\x00\x01binary", "a" * 100_000])
def test_any_input_comes_back_without_error(text: str) -> None:
    assert redact_secrets(text).text == text


def test_record_ids_next_to_a_code_are_kept() -> None:
    """The code after "验证码" goes; the withdrawal id before it stays, so it can be looked up."""
    result = redact_secrets("W-200030 要验证码的话是 318204")
    assert result.text.startswith("W-200030 ")
    assert "318204" not in result.text


SOLANA_SIGNATURE = "5" + "Jq9xK3mPz" * 9 + "abcdef"


def test_a_solana_signature_called_a_txid_is_kept_and_a_key_is_not() -> None:
    kept = redact_secrets(f"USDC on SOL, sig {SOLANA_SIGNATURE}")
    assert SOLANA_SIGNATURE in kept.text and not kept.kinds
    bare = redact_secrets(f"here you go {SOLANA_SIGNATURE}")
    assert SOLANA_SIGNATURE not in bare.text
    keyed = redact_secrets(f"my private key, tx {SOLANA_SIGNATURE}")
    assert SOLANA_SIGNATURE not in keyed.text
