"""Out of scope: the scorer fitted on held-out messages, its neighbour bank, and the threshold."""

from __future__ import annotations

import hashlib
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
    # ... and the out-of-scope examples apart.
    outside = [e for e in data.kefu_examples() if e.label == OUT_OF_SCOPE]
    assert with_scorer.bank.outside is not None
    assert len(with_scorer.bank.outside) == len(outside)
    assert 0 < with_scorer.threshold < 1


def test_the_out_of_scope_class_winning_rejects_with_the_scorer_too(with_scorer: Model) -> None:
    labels = with_scorer.labels
    logits = np.zeros((2, len(labels)), dtype=np.float32)
    logits[0, labels.index(OUT_OF_SCOPE)] = 9.0
    logits[1, labels.index("trade.fees")] = 9.0
    embeddings = encoders.embed(SMALL.encoders, ["what fees for spot?", "what fees for spot?"])
    scores = with_scorer.in_scope_scores(logits, embeddings)
    # Whatever the scorer says of the same message, the first is below any threshold.
    assert scores[0] < 0 <= with_scorer.threshold
    assert scores[1] > scores[0] + 0.5


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


def test_a_model_of_the_second_format_still_loads(with_scorer: Model, tmp_path: Path) -> None:
    # Format 2 had no out-of-scope neighbours: its scorer weighs three bank similarities, not
    # five. Make one from this model by leaving those out, and load it.
    with_scorer.save(tmp_path / "new")
    with np.load(tmp_path / "new" / "weights.npz") as stored:
        arrays = {name: stored[name] for name in stored.files if name != "bank_outside"}
    for name in ("scorer_mean", "scorer_scale", "scorer_coef"):
        arrays[name] = arrays[name][:-2]
    (tmp_path / "old").mkdir()
    np.savez_compressed(tmp_path / "old" / "weights.npz", **arrays)
    manifest = json.loads((tmp_path / "new" / "manifest.json").read_text())
    manifest["format"] = 2
    manifest["weights_sha256"] = hashlib.sha256(
        (tmp_path / "old" / "weights.npz").read_bytes()
    ).hexdigest()
    (tmp_path / "old" / "manifest.json").write_text(json.dumps(manifest))
    loaded = load_model(tmp_path / "old")
    assert loaded.bank is not None and loaded.bank.outside is None
    [twofa, recipe] = loaded.predict(
        ["lost my google authenticator, need to reset 2FA", "a good recipe for lasagna"]
    )
    assert twofa.intent == "security.2fa_reset"
    assert recipe.out_of_scope


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
    # them costs one in-scope message (0.35 would do); going higher would cost more for
    # nothing. Halfway between 0.35 and the highest out-of-scope score: 0.3.
    in_scores = [0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99]
    scores, probabilities, truth, labels = _held_out(in_scores, [0.05, 0.1, 0.25])
    assert _threshold(scores, probabilities, truth, labels, 0.5, 0.0) == pytest.approx(0.3)


def test_a_logistic_threshold_is_halfway_in_log_odds() -> None:
    # All the out-of-scope messages are caught below 0.02 at no cost: the threshold is not
    # left just above them (a new one scoring 0.03 would pass) but halfway in log-odds to the
    # lowest in-scope score, 0.9.
    in_scores = [0.9, 0.95, 0.97, 0.99]
    scores, probabilities, truth, labels = _held_out(in_scores, [0.001, 0.01, 0.02])
    threshold = _threshold(scores, probabilities, truth, labels, 0.0, 0.0, logistic=True)
    middle = (np.log(0.02 / 0.98) + np.log(0.9 / 0.1)) / 2
    assert threshold == pytest.approx(1 / (1 + np.exp(-middle)))
    assert 0.25 < threshold < 0.35


def test_the_threshold_keeps_within_the_cost() -> None:
    # The out-of-scope messages spread over the in-scope ones: the recall grows with the
    # threshold, so it goes as high as the cost allows (1 in 10 in-scope messages: 0.35, or
    # 3 in 10: 0.6), then halfway down to the out-of-scope message caught below it.
    in_scores = [0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99]
    scores, probabilities, truth, labels = _held_out(in_scores, [0.1, 0.3, 0.55, 0.85, 0.96])
    assert _threshold(scores, probabilities, truth, labels, 0.1, 0.0) == pytest.approx(0.325)
    assert _threshold(scores, probabilities, truth, labels, 0.3, 0.0) == pytest.approx(0.575)


def test_wrong_intents_cost_nothing_to_reject() -> None:
    # The two lowest in-scope messages have the wrong intent anyway: rejecting them is free
    # (0.5), and halfway down to 0.45.
    in_scores = [0.2, 0.3, 0.5, 0.6, 0.7]
    scores, probabilities, truth, labels = _held_out(in_scores, [0.1, 0.4, 0.45], wrong=2)
    assert _threshold(scores, probabilities, truth, labels, 0.0, 0.0) == pytest.approx(0.475)


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
    assert similar.shape == (2, 3)  # no out-of-scope neighbours (a format-2 model)


def test_the_bank_finds_the_out_of_scope_neighbours() -> None:
    a = np.array([1.0, 0.0], dtype=np.float32)
    b = np.array([0.0, 1.0], dtype=np.float32)
    c = np.array([0.6, 0.8], dtype=np.float32)
    bank = Bank(np.vstack([a]), np.array([0], dtype=np.int32), np.vstack([b, c]))
    similar = bank.similarities(np.vstack([a, b]), predicted=np.array([0, 0]))
    assert similar.shape == (2, 5)
    assert similar[0, 3] == pytest.approx(0.6)  # a's nearest out-of-scope example is c
    assert similar[0, 4] == pytest.approx((0.0 + 0.6) / 2)
    assert similar[1, 3] == pytest.approx(1.0)  # b is one
    assert similar[1, 0] == pytest.approx(0.0)
    # None to compare with: zeros, the columns are still there for the scorer.
    empty = Bank(np.vstack([a]), np.array([0], dtype=np.int32), np.zeros((0, 2), np.float32))
    assert empty.similarities(np.vstack([a]), np.array([0]))[0, 3:].tolist() == [0.0, 0.0]
