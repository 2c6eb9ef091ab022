"""Check the Chinese message catalogue.

1. The compiled ``django.mo`` holds exactly the translations of ``django.po`` (run before
   anything rewrites the catalogue), so what the app shows is what was reviewed.
2. No string is untranslated or fuzzy. Run after ``scripts/messages.sh`` has refreshed the
   catalogue from the code, so a new string without a translation fails here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

DIRECTORY = Path(__file__).resolve().parents[1] / "src/kefu/locale/zh_Hans/LC_MESSAGES"


def translations(catalogue: polib._BaseFile) -> dict[str, str]:
    return {entry.msgid: entry.msgstr for entry in catalogue if entry.msgid and entry.msgstr}


def main() -> int:
    source = polib.pofile(str(DIRECTORY / "django.po"))
    failures = 0
    if "--compiled" in sys.argv:
        compiled = polib.mofile(str(DIRECTORY / "django.mo"))
        if translations(compiled) != translations(source):
            sys.stderr.write("django.mo does not match django.po: run scripts/messages.sh\n")
            failures += 1
    for entry in source.untranslated_entries():
        sys.stderr.write(f"untranslated: {entry.msgid!r}\n")
        failures += 1
    for entry in source.fuzzy_entries():
        sys.stderr.write(f"fuzzy: {entry.msgid!r}\n")
        failures += 1
    sys.stdout.write(f"{len(source)} messages checked, {failures} problems\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
