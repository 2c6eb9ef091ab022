"""Language-understanding benchmark: accuracy on CLINC150 and on Kefu's own messages, next to
the simple alternative (TF-IDF + logistic regression) trained the same way; latency of one
message, batch throughput, model load time, memory and training time.

CLINC150 (Full) from ``../shared/data/clinc150``: trained on train + oos_train, calibrated and
thresholded on val + oos_val, measured on test (in-scope accuracy) and oos_test (out-of-scope
recall). Kefu's own data: trained on the train part of the fixed split, measured on the test
part, Chinese and English separately.

    python bench/nlu.py [--clinc PATH] [--skip-clinc] [--configurations NAMES]
                        [--speed-runs N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import harness
from kefu.nlu import data, encoders, evaluation
from kefu.nlu.analysis import analyse_texts
from kefu.nlu.model import OUT_OF_SCOPE, Example, Model, Settings, train

DEFAULT_CLINC = harness.ROOT.parent / "shared" / "data" / "clinc150" / "data_full.json"
# Kefu's default, the slower and slightly more accurate option, and the simple alternative.
CONFIGURATIONS = {
    "use (default)": Settings(),
    "use+e5": Settings(encoders=("use", "e5")),
    "tfidf only (baseline)": Settings(encoders=()),
}


def clinc(path: Path) -> dict[str, list[Example]]:
    raw = json.loads(path.read_text(encoding="utf-8"))

    def examples(split: str) -> list[Example]:
        return [
            Example(text, OUT_OF_SCOPE if label == "oos" else label) for text, label in raw[split]
        ]

    return {
        "train": examples("train") + examples("oos_train"),
        "validation": examples("val") + examples("oos_val"),
        "test": examples("test"),
        "oos_test": examples("oos_test"),
    }


def measure_clinc(path: Path, settings: Settings) -> dict[str, Any]:
    sets = clinc(path)
    started = time.monotonic()
    model = train(sets["train"], validation=sets["validation"], settings=settings)
    seconds = time.monotonic() - started
    in_scope = evaluation.evaluate(model, sets["test"])
    oos = evaluation.evaluate(model, sets["oos_test"])
    return {
        **best_recall_at(model, sets["test"], sets["oos_test"], 0.95),
        "encoders": list(settings.encoders) or ["none (TF-IDF only)"],
        "train_examples": len(sets["train"]),
        "training_seconds": round(seconds, 1),
        "in_scope_accuracy": in_scope.in_scope_accuracy,
        "oos_recall": oos.oos_recall,
        "calibration_error": in_scope.calibration_error,
        "threshold": model.threshold,
    }


def best_recall_at(
    model: Model, test: list[Example], oos_test: list[Example], accuracy: float
) -> dict[str, Any]:
    """Not a result, a ceiling: the best out-of-scope recall on oos_test of any threshold on
    the model's in-scope score that keeps in-scope accuracy on test at ``accuracy`` or more
    (the threshold chosen on test itself). It says how far the score's curve is from a target,
    whatever threshold the training would choose."""

    def scores(examples: list[Example]) -> tuple[np.ndarray, np.ndarray]:
        texts = [example.text for example in examples]
        embeddings = encoders.embed(model.settings.encoders, texts)
        logits = model.logits(model.features_from(texts, embeddings))
        in_scope = [i for i, label in enumerate(model.labels) if label != OUT_OF_SCOPE]
        best = np.array(model.labels)[np.array(in_scope)[logits[:, in_scope].argmax(axis=1)]]
        right = best == np.array([example.label for example in examples])
        return model.in_scope_scores(logits, embeddings), right

    inside, right = scores(test)
    outside, _ = scores(oos_test)
    recall, threshold = 0.0, None
    for candidate in np.unique(inside):
        if np.mean(right & (inside >= candidate)) < accuracy:
            break
        recall, threshold = float(np.mean(outside < candidate)), float(candidate)
    return {
        f"oos_recall_at_{round(accuracy * 100)}_in_scope_on_test": round(recall, 4),
        "threshold_for_it": None if threshold is None else round(threshold, 4),
    }


def measure_kefu(settings: Settings) -> tuple[dict[str, Any], Model]:
    train_part, test_part = data.split(data.kefu_examples())
    started = time.monotonic()
    model = train(train_part, settings=settings)
    seconds = time.monotonic() - started
    report = evaluation.evaluate(model, test_part)
    return {
        "encoders": list(settings.encoders) or ["none (TF-IDF only)"],
        "train_examples": len(train_part),
        "test_examples": len(test_part),
        "training_seconds": round(seconds, 1),
        "accuracy": report.accuracy,
        "macro_f1": report.macro_f1,
        "oos_recall": report.oos_recall,
        "by_language": report.by_language,
    }, model


def measure_speed(model: Model, texts: list[str]) -> dict[str, Any]:
    for text in texts[:50]:
        analyse_texts(model, [text])
    single = []
    for text in texts[:1000]:
        started = time.perf_counter()
        analyse_texts(model, [text])
        single.append(time.perf_counter() - started)
    batch = texts[:1024]
    started = time.perf_counter()
    for start in range(0, len(batch), 64):
        analyse_texts(model, batch[start : start + 64])
    per_second = len(batch) / (time.perf_counter() - started)
    return {"single": harness.summary_ms(single), "batch_64_per_second": round(per_second)}


def measure_load(directory: Path) -> dict[str, Any]:
    """Load the model in a fresh process (cold imports included) and analyse one message:
    seconds, and resident memory then (VmRSS) and at its peak (VmHWM), from /proc. (langid,
    needed for Latin-script messages of four words or more, loads in the background.)"""
    script = (
        "import time, sys; t = time.perf_counter();"
        f"sys.path.insert(0, {str(harness.ROOT / 'src')!r});"
        "from kefu.nlu.model import load_model; from kefu.nlu.analysis import analyse_texts;"
        f"m = load_model(__import__('pathlib').Path({str(directory)!r}));"
        "analyse_texts(m, ['我的充币还没到账']);"
        "s = time.perf_counter() - t;"
        "status = dict(l.split(':', 1) for l in open('/proc/self/status'));"
        "print(s, int(status['VmRSS'].split()[0]), int(status['VmHWM'].split()[0]))"
    )
    output = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    return {
        "seconds": round(float(output[0]), 2),
        "rss_mb": round(int(output[1]) / 1024),
        "peak_rss_mb": round(int(output[2]) / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinc", type=Path, default=DEFAULT_CLINC)
    parser.add_argument("--skip-clinc", action="store_true")
    parser.add_argument(
        "--configurations",
        default=",".join(CONFIGURATIONS),
        help="which of: " + ", ".join(CONFIGURATIONS),
    )
    parser.add_argument(
        "--speed-runs",
        type=int,
        default=1,
        help="measure one-message latency this many times over (the p99 moves between runs)",
    )
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    if not arguments.skip_clinc and not arguments.clinc.exists():
        parser.error(f"no CLINC150 at {arguments.clinc}: give --clinc PATH or --skip-clinc")
    say = (lambda text: print(text, file=sys.stderr, flush=True)) if arguments.json else print
    chosen = [name.strip() for name in arguments.configurations.split(",") if name.strip()]
    results: dict[str, Any] = {"clinc150": {}, "kefu": {}, "speed": {}, "load": {}}
    test_texts = [example.text for example in data.split(data.kefu_examples())[1]]
    for name in chosen:
        settings = CONFIGURATIONS[name]
        if not arguments.skip_clinc:
            say(f"CLINC150, {name}")
            results["clinc150"][name] = measure_clinc(arguments.clinc, settings)
            say(json.dumps(results["clinc150"][name]))
        say(f"Kefu's own messages, {name}")
        results["kefu"][name], model = measure_kefu(settings)
        say(json.dumps(results["kefu"][name]))
        results["speed"][name] = measure_speed(model, test_texts * 2)
        say(json.dumps(results["speed"][name]))
        if arguments.speed_runs > 1:
            again = [measure_speed(model, test_texts * 2) for _ in range(arguments.speed_runs - 1)]
            p99s = [run["single"]["p99_ms"] for run in [results["speed"][name], *again]]
            results["speed"][name]["p99_ms_of_each_run"] = p99s
            say(json.dumps({"p99_ms_of_each_run": p99s}))
        with tempfile.TemporaryDirectory() as scratch:
            model.save(Path(scratch) / "model")
            results["load"][name] = measure_load(Path(scratch) / "model")
        say(json.dumps(results["load"][name]))
    results["threads"] = os.environ.get("OMP_NUM_THREADS", "default")
    harness.report("nlu", results, as_json=arguments.json)


if __name__ == "__main__":
    main()
