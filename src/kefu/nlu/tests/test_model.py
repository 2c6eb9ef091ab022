"""Training, saving and loading a model; what it answers for odd input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kefu.nlu import data
from kefu.nlu.analysis import analyse_texts
from kefu.nlu.model import OUT_OF_SCOPE, Model, ModelError, Settings, load_model, train

SMALL = Settings(encoders=("use",), max_iter=200)


@pytest.fixture(scope="module")
def small_model() -> Model:
    """A quick model on part of Kefu's data: four intents and out-of-scope, both languages."""
    wanted = {"deposit.not_credited", "security.2fa_reset", "trade.fees", "chat.greeting"}
    examples = [e for e in data.kefu_examples() if e.label in wanted | {OUT_OF_SCOPE}]
    return train(examples, settings=SMALL)


def test_it_learns_the_intents(small_model: Model) -> None:
    [deposit, twofa, junk] = small_model.predict(
        [
            "我充的USDT还没到账",
            "lost my google authenticator, need to reset 2FA",
            "what's the weather in Paris",
        ]
    )
    assert deposit.intent == "deposit.not_credited"
    assert twofa.intent == "security.2fa_reset"
    assert junk.out_of_scope
    assert len(deposit.top) == 3
    assert deposit.top[0].confidence >= deposit.top[1].confidence >= deposit.top[2].confidence
    assert 0 < deposit.confidence <= 1


def test_sentiment(small_model: Model) -> None:
    [angry, happy] = small_model.predict(
        [
            "this is ridiculous, 3 days and my deposit is STILL missing, worst exchange ever",
            "thank you so much, great help!",
        ]
    )
    assert angry.sentiment == "negative"
    assert angry.sentiment_score < 0
    assert happy.sentiment == "positive"


def test_saved_model_loads_to_the_same_answers(small_model: Model, tmp_path: Path) -> None:
    small_model.save(tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    texts = ["充币没到账", "hello", "fees for spot trading?"]
    assert loaded.version == small_model.version
    for a, b in zip(small_model.predict(texts), loaded.predict(texts), strict=True):
        assert a.intent == b.intent
        assert a.confidence == pytest.approx(b.confidence, abs=1e-4)
    with pytest.raises(FileExistsError):
        small_model.save(tmp_path / "model")


def test_tampered_or_foreign_directories_are_refused(small_model: Model, tmp_path: Path) -> None:
    small_model.save(tmp_path / "model")
    with open(tmp_path / "model" / "weights.npz", "ab") as handle:
        handle.write(b"x")
    with pytest.raises(ModelError, match="do not match"):
        load_model(tmp_path / "model")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "manifest.json").write_text(json.dumps({"format": 99}))
    with pytest.raises(ModelError, match="unsupported model format"):
        load_model(tmp_path / "other")
    with pytest.raises(ModelError, match="not a Kefu language model"):
        load_model(tmp_path / "missing")


def test_same_data_same_model() -> None:
    examples = [e for e in data.kefu_examples() if e.label in ("trade.fees", "chat.greeting")]
    first, second = train(examples, settings=SMALL), train(examples, settings=SMALL)
    assert first.version == second.version
    assert np.allclose(first.intent.coef, second.intent.coef, atol=1e-5)
    assert first.threshold == second.threshold


def test_training_needs_two_intents() -> None:
    with pytest.raises(ModelError, match="at least two intents"):
        train([data.kefu_examples()[0]], settings=SMALL)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😡😡😡👍", "\x00\x01\x02\ufffd", "充币没到账 " * 20_000, "a" * 100_000],
)
def test_any_input_gets_an_analysis(small_model: Model, text: str) -> None:
    [result] = analyse_texts(small_model, [text])
    assert result.intent in small_model.labels
    assert result.sentiment in ("negative", "neutral", "positive")
    assert result.as_dict()["model"] == small_model.version


def test_without_a_model_language_and_urgency_still_work() -> None:
    [result] = analyse_texts(None, ["我的账号被盗了"])
    assert result.language == "zh"
    assert "hacked" in result.signals
    assert result.out_of_scope
