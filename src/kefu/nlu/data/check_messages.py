"""Check a training-data file of Kefu's own messages (used while writing them, and by CI).

python src/kefu/nlu/data/check_messages.py src/kefu/nlu/data/messages/*.tsv
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

TAXONOMY = Path(__file__).resolve().parents[2] / "lib" / "intents.tsv"
MINIMUM_PER_LANGUAGE = 40
COLUMNS = ["text", "label", "language", "sentiment"]
SENTIMENTS = {"negative", "neutral", "positive"}
LANGUAGES = {"zh", "en"}


def main(paths: list[str]) -> int:
    with TAXONOMY.open(encoding="utf-8") as handle:
        intents = {row["id"] for row in csv.DictReader(handle, delimiter="\t")}
    problems: list[str] = []
    counts: Counter[tuple[str, str]] = Counter()
    seen: set[str] = set()
    for path in paths:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            if reader.fieldnames != COLUMNS:
                problems.append(f"{path}: header must be {COLUMNS}, is {reader.fieldnames}")
                continue
            for number, row in enumerate(reader, start=2):
                where = f"{path}:{number}"
                text = (row["text"] or "").strip()
                if not text:
                    problems.append(f"{where}: empty text")
                if row["label"] not in intents:
                    problems.append(f"{where}: unknown label {row['label']!r}")
                if row["language"] not in LANGUAGES:
                    problems.append(f"{where}: language must be zh or en")
                if row["sentiment"] not in SENTIMENTS:
                    problems.append(f"{where}: sentiment must be one of {sorted(SENTIMENTS)}")
                if None in row or len(row) != len(COLUMNS):
                    problems.append(f"{where}: wrong number of columns (a tab inside the text?)")
                key = text.lower()
                if key in seen:
                    problems.append(f"{where}: duplicate text {text!r}")
                seen.add(key)
                counts[(row["label"], row["language"])] += 1
    for label in sorted({label for label, _ in counts}):
        for language in sorted(LANGUAGES):
            if counts[(label, language)] < MINIMUM_PER_LANGUAGE:
                problems.append(
                    f"{label}: {counts[(label, language)]} {language} messages, need "
                    f"{MINIMUM_PER_LANGUAGE}"
                )
    for problem in problems:
        sys.stderr.write(problem + "\n")
    total = sum(counts.values())
    labels = len({label for label, _ in counts})
    sys.stdout.write(f"{total} messages, {labels} labels, {len(problems)} problems\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
