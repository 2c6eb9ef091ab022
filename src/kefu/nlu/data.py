"""Labelled messages: Kefu's own (in the package), an exchange's files, and agents' corrections.

A data file is CSV or TSV (told apart by its extension, or by its header line) with a header row
holding at least ``text`` and ``label``; ``sentiment`` and ``language`` are used when present.
The label ``out_of_scope`` marks messages that fit no intent.

Kefu's own messages are split once and for all by a hash of their text: a fifth is the fixed test
split on which every model is compared, and is never trained on.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from pathlib import Path

from kefu.nlu.model import SENTIMENTS, Example, ModelError

MESSAGES_DIR = Path(__file__).parent / "data" / "messages"
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_TEXT_CHARS = 10_000
TEST_SHARE = 5  # one in five


def read_examples(path: Path) -> list[Example]:
    """Read a CSV or TSV data file; raise ModelError with the line number of a bad row."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ModelError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MB")
        raw = path.read_bytes()
    except OSError as error:
        raise ModelError(f"cannot read {path}: {error.strerror}") from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ModelError(f"{path} is not UTF-8 text (byte {error.start})") from None
    first_line = content.split("\n", 1)[0]
    tab = path.suffix.lower() == ".tsv" or (path.suffix.lower() != ".csv" and "\t" in first_line)
    reader = csv.DictReader(io.StringIO(content), delimiter="\t" if tab else ",")
    columns = {name.strip().lower() for name in reader.fieldnames or []}
    if not {"text", "label"} <= columns:
        raise ModelError(f"{path}: the header must name the columns text and label")
    return list(_rows(path, reader))


def _rows(path: Path, reader: csv.DictReader[str]) -> Iterable[Example]:
    for number, row in enumerate(reader, start=2):
        row = {(key or "").strip().lower(): (value or "") for key, value in row.items()}
        text, label = row["text"].strip(), row["label"].strip()
        sentiment = row.get("sentiment", "").strip().lower()
        if not text and not label:
            continue
        if not text or not label:
            raise ModelError(f"{path}, line {number}: a row needs both text and label")
        if len(text) > MAX_TEXT_CHARS:
            raise ModelError(f"{path}, line {number}: text longer than {MAX_TEXT_CHARS}")
        if sentiment and sentiment not in SENTIMENTS:
            raise ModelError(
                f"{path}, line {number}: sentiment must be one of {', '.join(SENTIMENTS)}"
            )
        yield Example(text, label, sentiment, row.get("language", "").strip())


def kefu_examples() -> list[Example]:
    """Every message of Kefu's own training data, in a fixed order."""
    examples: list[Example] = []
    for path in sorted(MESSAGES_DIR.glob("*.tsv")):
        examples += read_examples(path)
    return examples


def in_test_split(text: str) -> bool:
    """Whether a message belongs to the fixed test split (decided by its text alone)."""
    return int(hashlib.sha256(text.strip().encode()).hexdigest()[:8], 16) % TEST_SHARE == 0


def split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    """(train, test) by the fixed split."""
    train: list[Example] = []
    test: list[Example] = []
    for example in examples:
        (test if in_test_split(example.text) else train).append(example)
    return train, test
