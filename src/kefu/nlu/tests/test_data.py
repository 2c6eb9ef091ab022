"""Data files: CSV or TSV with text and label; bad rows are refused with their line number."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.lib.taxonomy import intents
from kefu.nlu import data
from kefu.nlu.model import OUT_OF_SCOPE, ModelError


def test_csv_and_tsv(tmp_path: Path) -> None:
    csv_file = tmp_path / "tickets.csv"
    csv_file.write_text('text,label,sentiment\n"hi, there",chat.greeting,positive\n')
    tsv_file = tmp_path / "tickets.tsv"
    tsv_file.write_text("label\ttext\nchat.greeting\thello\n")
    [from_csv] = data.read_examples(csv_file)
    [from_tsv] = data.read_examples(tsv_file)
    assert (from_csv.text, from_csv.label, from_csv.sentiment) == (
        "hi, there",
        "chat.greeting",
        "positive",
    )
    assert (from_tsv.text, from_tsv.label) == ("hello", "chat.greeting")


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("words,label\nhi,x\n", "header must name the columns text and label"),
        ("text,label\nhi,\n", "line 2: a row needs both text and label"),
        ("text,label,sentiment\nhi,x,angry\n", "line 2: sentiment must be one of"),
    ],
)
def test_bad_files(tmp_path: Path, content: str, error: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ModelError, match=error):
        data.read_examples(path)


def test_binary_and_missing_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\xff\xfe\x00\x81binary")
    with pytest.raises(ModelError, match="not UTF-8"):
        data.read_examples(junk)
    with pytest.raises(ModelError, match="cannot read"):
        data.read_examples(tmp_path / "missing.csv")


def test_kefu_data_covers_the_taxonomy_in_both_languages() -> None:
    examples = data.kefu_examples()
    for intent in [*intents(), OUT_OF_SCOPE]:
        for language in ("zh", "en"):
            count = sum(1 for e in examples if e.label == intent and e.language == language)
            assert count >= 40, (intent, language, count)


def test_fixed_split_is_stable_and_a_fifth() -> None:
    train, test = data.split(data.kefu_examples())
    _again_train, again_test = data.split(list(reversed(data.kefu_examples())))
    assert {e.text for e in test} == {e.text for e in again_test}
    assert 0.15 < len(test) / (len(train) + len(test)) < 0.25
    assert not {e.text for e in test} & {e.text for e in train}
