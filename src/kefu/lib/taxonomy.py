"""The intent taxonomy shared by routing, bot, knowledge base and analytics.

Read from ``intents.tsv`` (a copy of ``shared/taxonomy/intents.tsv``); ids are never renamed.
Each queue of the taxonomy is served by one team.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

TAXONOMY_FILE = Path(__file__).with_name("intents.tsv")
DEFAULT_QUEUE = "general"
OUT_OF_SCOPE = "out_of_scope"

QUEUE_NAMES: dict[str, Promise] = {
    "account_security": _("Account security"),
    "deposit_withdrawal": _("Deposits and withdrawals"),
    "trading": _("Trading"),
    "verification": _("Identity verification"),
    "api": _("API"),
    "fiat_p2p": _("Fiat and P2P"),
    "products": _("Earn and products"),
    "general": _("General"),
}


@dataclass(frozen=True)
class Intent:
    """One intent of the taxonomy."""

    id: str
    queue: str
    name_en: str
    name_zh: str
    covers: str

    @property
    def name(self) -> str:
        """The intent's name in the active language."""
        language = get_language() or "en"
        return self.name_zh if language.startswith("zh") else self.name_en


@cache
def intents() -> dict[str, Intent]:
    """Return every intent of the taxonomy by id, in file order."""
    with TAXONOMY_FILE.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {
            row["id"]: Intent(
                id=row["id"],
                queue=row["queue"],
                name_en=row["name_en"],
                name_zh=row["name_zh"],
                covers=row["covers"],
            )
            for row in rows
        }


@cache
def queues() -> tuple[str, ...]:
    """Return the queues of the taxonomy, in the order they first appear."""
    seen: dict[str, None] = {}
    for intent in intents().values():
        seen.setdefault(intent.queue, None)
    return tuple(seen)


def queue_name(queue: str) -> str:
    """Return the translated display name of ``queue``."""
    return str(QUEUE_NAMES.get(queue, queue))


def queue_choices() -> list[tuple[str, str]]:
    """Return (queue, translated name) pairs for form choices."""
    return [(queue, queue_name(queue)) for queue in queues()]
