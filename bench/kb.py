"""Knowledge-base search benchmark: retrieval quality of each part of the hybrid search and of
the fusion, in Chinese, in English and across the two; query latency.

Queries are the customer messages of the fixed test split of Kefu's own labelled data (never seen
by the language model whose intents the search uses); an article is relevant when it answers the
message's intent. ``hit@1``: the first article is relevant; ``recall@5``: one of the first five
is; ``mrr@10``: mean reciprocal rank of the first relevant one. Cross-language: the same
questions against the other language's versions only. The first 300 test-split queries chose
the fusion weights (``search.WEIGHTS``), so they are left out here.

    python bench/kb.py [--limit N] [--json]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import harness

os.environ.setdefault("KEFU_DATA_DIR", tempfile.mkdtemp(prefix="kefu-bench-kb-"))
os.environ.setdefault("KEFU_MODELS_DIR", str(Path(tempfile.gettempdir()) / "kefu-bench-models"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from kefu.knowledge import search  # noqa: E402
from kefu.knowledge.services import load_content  # noqa: E402
from kefu.nlu import data  # noqa: E402
from kefu.nlu import services as nlu  # noqa: E402
from kefu.nlu.language import detect_language  # noqa: E402
from kefu.nlu.model import OUT_OF_SCOPE, Model  # noqa: E402

TUNING_QUERIES = 300
CONFIGURATIONS: dict[str, dict[str, float]] = {
    "bm25 only (baseline)": {"lexical": 1.0},
    "embeddings only": {"semantic": 1.0},
    "intent model only": {"intent": 1.0},
    "bm25 + embeddings": {"lexical": 1.0, "semantic": 1.0},
    "bm25 + embeddings + intent (default)": dict(search.WEIGHTS),
}


def scores(ranked: list[search.SearchHit], label: str) -> tuple[float, float, float]:
    rank = next((n for n, hit in enumerate(ranked, start=1) if label in hit.intents), 0)
    return (1.0 if rank == 1 else 0.0, 1.0 if 0 < rank <= 5 else 0.0, 1.0 / rank if rank else 0.0)


def measure(
    queries: list[tuple[str, str, str, dict[str, float]]],
    weights: dict[str, float],
    only_language: str | None = None,
) -> dict[str, Any]:
    totals: dict[str, list[float]] = {}
    for text, label, language, probabilities in queries:
        hits = search.search_articles(
            text,
            limit=10,
            weights=weights,
            intent_probabilities=probabilities,
            only_language=(
                ("zh" if language == "en" else "en") if only_language == "other" else None
            ),
        )
        one, five, reciprocal = scores(hits, label)
        for key in (language, "all"):
            bucket = totals.setdefault(key, [0.0, 0.0, 0.0, 0.0])
            bucket[0] += one
            bucket[1] += five
            bucket[2] += reciprocal
            bucket[3] += 1
    return {
        key: {
            "hit@1": round(b[0] / b[3], 3),
            "recall@5": round(b[1] / b[3], 3),
            "mrr@10": round(b[2] / b[3], 3),
            "n": int(b[3]),
        }
        for key, b in totals.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="use only the first N queries")
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    say = (lambda text: print(text, file=sys.stderr, flush=True)) if arguments.json else print
    call_command("migrate", verbosity=0)
    load_content()
    nlu.ensure_default_model(lambda text: say(f"  {text}"))
    model = nlu.live_model()
    assert isinstance(model, Model)  # noqa: S101 - just made live
    test = [e for e in data.split(data.kefu_examples())[1] if e.label != OUT_OF_SCOPE]
    test = test[TUNING_QUERIES:]
    if arguments.limit:
        test = test[: arguments.limit]
    say(f"{len(test)} queries; computing their intents")
    distributions = search.intent_distribution(model, [e.text for e in test])
    queries = [
        (e.text, e.label, "zh" if detect_language(e.text).code == "zh" else "en", distribution)
        for e, distribution in zip(test, distributions, strict=True)
    ]
    started = time.perf_counter()
    search.forget_index()
    search.current_index()
    results: dict[str, Any] = {
        "articles": len(search.current_index().articles),
        "index_build_cold_s": round(time.perf_counter() - started, 2),
        "same_language": {},
        "other_language_only": {},
    }
    for name, weights in CONFIGURATIONS.items():
        say(name)
        results["same_language"][name] = measure(queries, weights)
        results["other_language_only"][name] = measure(queries, weights, only_language="other")
        say(f"  {results['same_language'][name]['all']}")
    # Latency as a caller sees it: the query's intents computed by the search itself.
    durations = []
    for text, _label, _language, _probabilities in queries[:1000]:
        began = time.perf_counter()
        search.search_articles(text, limit=5)
        durations.append(time.perf_counter() - began)
    results["latency_with_intent_model"] = harness.summary_ms(durations)
    durations = []
    for text, _label, _language, probabilities in queries[:1000]:
        began = time.perf_counter()
        search.search_articles(text, limit=5, intent_probabilities=probabilities)
        durations.append(time.perf_counter() - began)
    results["latency_intents_given"] = harness.summary_ms(durations)
    harness.report("kb", results, as_json=arguments.json)


if __name__ == "__main__":
    main()
