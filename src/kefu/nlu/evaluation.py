"""How good a model is on labelled messages: the numbers ``kefu nlu evaluate`` prints and the
registry compares before a model may go live."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import f1_score

from kefu.nlu.language import detect_language
from kefu.nlu.model import OUT_OF_SCOPE, Example, Model

BATCH = 256


@dataclass
class Evaluation:
    n: int
    accuracy: float  # every example; an out-of-scope one is right when rejected
    in_scope_accuracy: float
    macro_f1: float
    oos_recall: float | None  # None when the data holds no out-of-scope examples
    oos_precision: float | None
    calibration_error: float  # expected calibration error of the confidence, 10 bins
    by_language: dict[str, dict[str, float]] = field(default_factory=dict)
    confused: list[dict[str, Any]] = field(default_factory=list)
    unknown_labels: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate(model: Model, examples: Sequence[Example]) -> Evaluation:
    started = time.monotonic()
    truth = [example.label for example in examples]
    predicted: list[str] = []
    confidence: list[float] = []
    for start in range(0, len(examples), BATCH):
        chunk = examples[start : start + BATCH]
        for prediction in model.predict([example.text for example in chunk]):
            predicted.append(prediction.intent)
            confidence.append(prediction.confidence)
    right = np.array([t == p for t, p in zip(truth, predicted, strict=True)])
    oos_truth = np.array([t == OUT_OF_SCOPE for t in truth])
    oos_predicted = np.array([p == OUT_OF_SCOPE for p in predicted])
    languages = [example.language or detect_language(example.text).code for example in examples]
    by_language = {}
    for code in sorted(set(languages)):
        rows = np.array([language == code for language in languages])
        in_scope = rows & ~oos_truth
        by_language[code] = {
            "n": int(rows.sum()),
            "accuracy": _mean(right[rows]),
            "in_scope_accuracy": _mean(right[in_scope]),
        }
    confused = Counter((t, p) for t, p in zip(truth, predicted, strict=True) if t != p).most_common(
        8
    )
    return Evaluation(
        n=len(examples),
        accuracy=_mean(right),
        in_scope_accuracy=_mean(right[~oos_truth]),
        macro_f1=round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4),
        oos_recall=_mean(oos_predicted[oos_truth]) if oos_truth.any() else None,
        oos_precision=_mean(oos_truth[oos_predicted]) if oos_predicted.any() else None,
        calibration_error=_calibration_error(np.array(confidence), right, oos_truth),
        by_language=by_language,
        confused=[{"label": t, "predicted": p, "count": n} for (t, p), n in confused],
        unknown_labels=sorted(set(truth) - set(model.labels) - {OUT_OF_SCOPE}),
        seconds=round(time.monotonic() - started, 2),
    )


def _mean(values: np.ndarray) -> float:
    return round(float(values.mean()), 4) if len(values) else 0.0


def _calibration_error(confidence: np.ndarray, right: np.ndarray, oos: np.ndarray) -> float:
    """On in-scope examples: how far the stated confidence is from the share that is right."""
    confidence, right = confidence[~oos], right[~oos]
    if not len(confidence):
        return 0.0
    bins = np.minimum((confidence * 10).astype(int), 9)
    error = 0.0
    for index in range(10):
        rows = bins == index
        if rows.any():
            error += rows.mean() * abs(confidence[rows].mean() - right[rows].mean())
    return round(float(error), 4)
