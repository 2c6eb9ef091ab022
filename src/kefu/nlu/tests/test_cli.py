"""``kefu nlu``: train, evaluate and predict from the command line, as an exchange would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kefu.nlu import data


def kefu(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environment["KEFU_DATA_DIR"] = str(tmp_path / "data")
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "kefu.cli", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tickets of an exchange: three intents and out-of-scope, as CSV."""
    folder = tmp_path_factory.mktemp("tickets")
    wanted = ("withdrawal.pending", "kyc.status", "chat.greeting", "out_of_scope")
    train, test = data.split(e for e in data.kefu_examples() if e.label in wanted)
    for name, rows in (("train.csv", train), ("test.csv", test)):
        lines = ["text,label"] + [
            '"{}",{}'.format(e.text.replace('"', '""'), e.label) for e in rows
        ]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_train_evaluate_predict(tmp_path: Path, files: Path) -> None:
    model_dir = tmp_path / "model"
    trained = kefu(
        tmp_path, "nlu", "train", "--data", str(files / "train.csv"), "--out", str(model_dir)
    )
    assert trained.returncode == 0, trained.stderr
    assert "embedding" in trained.stderr  # progress is shown
    assert (model_dir / "manifest.json").exists()
    assert "registered (its labels are not the taxonomy's" not in trained.stdout

    evaluated = kefu(
        tmp_path,
        "nlu",
        "evaluate",
        "--data",
        str(files / "test.csv"),
        "--model",
        str(model_dir),
        "--json",
    )
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout.strip().splitlines()[-1])
    assert {"accuracy", "macro_f1", "oos_recall", "n"} <= set(report)
    assert report["n"] == len((files / "test.csv").read_text().splitlines()) - 1
    assert report["accuracy"] > 0.8
    assert "macro-F1" in evaluated.stdout

    predicted = kefu(
        tmp_path, "nlu", "predict", "我的提币审核中好久了", "--model", str(model_dir), "--json"
    )
    assert predicted.returncode == 0, predicted.stderr
    analysis = json.loads(predicted.stdout.strip().splitlines()[-1])
    assert analysis["intent"] == "withdrawal.pending"
    assert analysis["language"] == "zh"
    assert len(analysis["top"]) == 3

    listed = kefu(tmp_path, "nlu", "models")
    assert analysis["model"] in listed.stdout


def test_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("words,label\nhello,x\n")
    result = kefu(tmp_path, "nlu", "train", "--data", str(bad))
    assert result.returncode == 2
    assert "header must name the columns text and label" in result.stderr
    missing = kefu(tmp_path, "nlu", "predict", "hello", "--model", str(tmp_path / "nothing"))
    assert missing.returncode == 2
    assert "not a Kefu language model" in missing.stderr
    activate = kefu(tmp_path, "nlu", "activate", "nope")
    assert activate.returncode == 2
