"""Out of scope: the scorer fitted on held-out messages, its neighbour bank, and the threshold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kefu.nlu import data, encoders
from kefu.nlu.model import (
    OUT_OF_SCOPE,
    Bank,
    Model,
    Settings,
    _threshold,
    load_model,
    train,
)

SMALL = Settings(encoders=("use",), max_iter=200)
WANTED = {"deposit.not_credited", "security.2fa_reset", "trade.fees", "chat.greeting"}


@pytest.fixture(scope="module")
def with_scorer() -> Model:
    examples = [e for e in data.kefu_examples() if e.label in WANTED | {OUT_OF_SCOPE}]
    return train(examples, settings=SMALL)


@pytest.fixture(scope="module")
def without_scorer() -> Model:
    """No out-of-scope messages to fit a scorer on."""
    return train([e for e in data.kefu_examples() if e.label in WANTED], settings=SMALL)


def test_the_scorer_is_fitted_on_held_out_out_of_scope_messages(with_scorer: Model) -> None:
    assert with_scorer.scorer is not None
    assert with_scorer.bank is not None
    # The bank holds in-scope examples only, each with its intent.
    oos = with_scorer.labels.index(OUT_OF_SCOPE)
    assert oos not in set(with_scorer.bank.labels.tolist())
    inside = [e for e in data.kefu_examples() if e.label in WANTED]
    assert len(with_scorer.bank.labels) == len(inside)
    assert 0 < with_scorer.threshold < 1


def test_far_from_every_intent_is_out_of_scope_and_near_ones_are_not(with_scorer: Model) -> None:
    texts = [
        "what's a good recipe for lasagna with spinach",
        "谁赢了昨晚的足球比赛",
        "my USDT deposit still hasn't arrived after 2 hours",
        "我的充值还没有到账",
    ]
    embeddings = encoders.embed(with_scorer.settings.encoders, texts)
    logits = with_scorer.logits(with_scorer.features(texts))
    scores = with_scorer.in_scope_scores(logits, embeddings)
    assert scores[0] < with_scorer.threshold and scores[1] < with_scorer.threshold
    assert scores[2] > with_scorer.threshold and scores[3] > with_scorer.threshold
    predictions = with_scorer.predict(texts)
    assert [p.out_of_scope for p in predictions] == [True, True, False, False]
    assert predictions[0].intent == OUT_OF_SCOPE
    assert predictions[2].intent == "deposit.not_credited"


def test_the_scorer_and_bank_are_saved_and_loaded(with_scorer: Model, tmp_path: Path) -> None:
    with_scorer.save(tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert loaded.scorer is not None and loaded.bank is not None
    texts = ["充币没到账", "tell me a joke about cats", "fees for spot trading?", "hi"]
    embeddings = encoders.embed(SMALL.encoders, texts)
    before = with_scorer.in_scope_scores(
        with_scorer.logits(with_scorer.features(texts)), embeddings
    )
    after = loaded.in_scope_scores(loaded.logits(loaded.features(texts)), embeddings)
    # The bank is stored as float16: the same scores to a few decimals.
    assert after == pytest.approx(before, abs=2e-3)
    assert [p.out_of_scope for p in loaded.predict(texts)] == [
        p.out_of_scope for p in with_scorer.predict(texts)
    ]


def test_without_out_of_scope_examples_there_is_no_scorer(without_scorer: Model) -> None:
    assert without_scorer.scorer is None
    assert without_scorer.bank is None
    # The threshold is on the best intent's confidence, as before.
    assert 0 <= without_scorer.threshold < 1
    [deposit] = without_scorer.predict(["我充的USDT还没到账"])
    assert deposit.intent == "deposit.not_credited"


def test_a_model_of_the_first_format_still_loads(without_scorer: Model, tmp_path: Path) -> None:
    without_scorer.save(tmp_path / "old")
    manifest = json.loads((tmp_path / "old" / "manifest.json").read_text())
    manifest["format"] = 1
    (tmp_path / "old" / "manifest.json").write_text(json.dumps(manifest))
    loaded = load_model(tmp_path / "old")
    assert loaded.scorer is None
    [twofa] = loaded.predict(["lost my google authenticator, need to reset 2FA"])
    assert twofa.intent == "security.2fa_reset"


def test_without_a_scorer_the_out_of_scope_class_winning_rejects(with_scorer: Model) -> None:
    model = Model(
        with_scorer.manifest,
        with_scorer.words,
        with_scorer.chars,
        with_scorer.intent,
        with_scorer.sentiment,
        settings=with_scorer.settings,
    )
    labels = model.labels
    logits = np.zeros((2, len(labels)), dtype=np.float32)
    logits[0, labels.index(OUT_OF_SCOPE)] = 9.0
    logits[1, labels.index("trade.fees")] = 9.0
    scores = model.in_scope_scores(logits, np.zeros((2, 512), dtype=np.float32))
    assert scores[0] < 0 < scores[1]


def _held_out(
    in_scores: list[float], oos_scores: list[float], wrong: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Two intents (0, 1) and out of scope (2): the first ``wrong`` in-scope messages have the
    wrong best intent."""
    labels = ["a", "b", OUT_OF_SCOPE]
    n = len(in_scores)
    truth = np.array([0] * n + [2] * len(oos_scores))
    probabilities = np.zeros((len(truth), 3))
    probabilities[:, 0] = 1.0
    probabilities[:wrong] = [0.0, 1.0, 0.0]
    scores = np.array(in_scores + oos_scores)
    return scores, probabilities, truth, labels


def test_the_threshold_stops_where_the_recall_stops_growing() -> None:
    # Every out-of-scope message scores below 0.3; in-scope ones from 0.2 up. Catching all of
    # them costs one in-scope message; going higher would cost more for nothing.
    in_scores = [0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99]
    scores, probabilities, truth, labels = _held_out(in_scores, [0.05, 0.1, 0.25])
    assert _threshold(scores, probabilities, truth, labels, 0.5, 0.0) == pytest.approx(0.35)


def test_the_threshold_keeps_within_the_cost() -> None:
    # The out-of-scope messages spread over the in-scope ones: the recall grows with the
    # threshold, so it goes as high as the cost allows (1 in 10 in-scope messages).
    in_scores = [0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99]
    scores, probabilities, truth, labels = _held_out(in_scores, [0.1, 0.3, 0.55, 0.85, 0.96])
    assert _threshold(scores, probabilities, truth, labels, 0.1, 0.0) == pytest.approx(0.35)
    assert _threshold(scores, probabilities, truth, labels, 0.3, 0.0) == pytest.approx(0.6)


def test_wrong_intents_cost_nothing_to_reject() -> None:
    # The two lowest in-scope messages have the wrong intent anyway: rejecting them is free.
    in_scores = [0.2, 0.3, 0.5, 0.6, 0.7]
    scores, probabilities, truth, labels = _held_out(in_scores, [0.1, 0.4, 0.45], wrong=2)
    assert _threshold(scores, probabilities, truth, labels, 0.0, 0.0) == pytest.approx(0.5)


def test_the_bank_finds_the_neighbours() -> None:
    # Two encoders side by side: each half is a unit vector, so similarities are halved.
    a = np.array([1.0, 0.0, 1.0, 0.0], dtype=np.float32)
    b = np.array([0.0, 1.0, 0.0, 1.0], dtype=np.float32)
    c = np.array([0.6, 0.8, 0.6, 0.8], dtype=np.float32)
    bank = Bank(np.vstack([a, b, c]), np.array([0, 1, 1], dtype=np.int32))
    query = np.vstack([a, b])
    similar = bank.similarities(query, predicted=np.array([1, 0]))
    assert similar[0, 0] == pytest.approx(1.0)  # a itself
    assert similar[0, 2] == pytest.approx(0.6)  # nearest of intent 1 is c
    assert similar[1, 0] == pytest.approx(1.0)
    assert similar[1, 2] == pytest.approx(0.0)  # intent 0 holds only a
    assert similar[0, 1] == pytest.approx((1.0 + 0.0 + 0.6) / 3)  # fewer than five: all
