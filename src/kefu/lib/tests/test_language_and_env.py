from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from kefu.lib.env import env_bool, env_int, env_list, env_secret
from kefu.lib.language import guess_language, normalise_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("我的USDT充值没有到账", "zh"),
        ("提U到TRC20地址一直pending", "zh"),
        ("Where is my deposit?", "en"),
        ("My 提现 is stuck for 3 hours, please check", "en"),
        ("😀 12345", "en"),
    ],
)
def test_guess_language(text: str, language: str) -> None:
    assert guess_language(text) == language


def test_normalise_language() -> None:
    assert normalise_language("zh-Hans") == "zh"
    assert normalise_language("zh-TW") == "zh"
    assert normalise_language("en-US") == "en"
    assert normalise_language("fr", default="en") == "en"
    assert normalise_language(None) == "en"


def test_env_helpers_read_and_reject(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("KEFU_X_BOOL", "yes")
    monkeypatch.setenv("KEFU_X_INT", "42")
    monkeypatch.setenv("KEFU_X_LIST", "a, b,,c")
    assert env_bool("KEFU_X_BOOL") is True
    assert env_int("KEFU_X_INT", 1) == 42
    assert env_list("KEFU_X_LIST", []) == ["a", "b", "c"]
    monkeypatch.setenv("KEFU_X_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured, match="KEFU_X_BOOL"):
        env_bool("KEFU_X_BOOL")
    monkeypatch.setenv("KEFU_X_INT", "4x")
    with pytest.raises(ImproperlyConfigured, match="KEFU_X_INT"):
        env_int("KEFU_X_INT", 1)
    with pytest.raises(ImproperlyConfigured, match="at least 100"):
        monkeypatch.setenv("KEFU_X_INT", "5")
        env_int("KEFU_X_INT", 1, minimum=100)


def test_secrets_can_come_from_files(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from pathlib import Path

    secret_file = Path(str(tmp_path)) / "secret"
    secret_file.write_text("s3cret\n", encoding="utf-8")
    monkeypatch.setenv("KEFU_X_SECRET_FILE", str(secret_file))
    assert env_secret("KEFU_X_SECRET") == "s3cret"
    monkeypatch.setenv("KEFU_X_SECRET_FILE", str(secret_file) + ".missing")
    with pytest.raises(ImproperlyConfigured, match="cannot read"):
        env_secret("KEFU_X_SECRET")
