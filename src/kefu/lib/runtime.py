"""Process-level tuning of a Kefu server process."""

from __future__ import annotations

import gc

# Allocations between young-generation collections (CPython's default is 700). A request
# allocates thousands of short-lived objects; collecting that often costs throughput and, when
# an older generation is swept, tens of milliseconds of latency.
YOUNG_GENERATION_THRESHOLD = 20_000


def tune_garbage_collector() -> None:
    """Move everything loaded at start-up (Django, models, templates) out of the collector's
    way, and collect young objects less often. Call once, after the application is loaded."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, 20, 20)
