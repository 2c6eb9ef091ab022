"""``kefu risk ingest|load-list|screen``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kefu.cli import main
from kefu.risk.models import RiskEvent, ScreenedAddress
from kefu.risk.tests.factories import CLEAN_ETH, OFAC_ETH, event

pytestmark = pytest.mark.django_db(transaction=True)


def test_ingest_stores_the_good_lines_around_a_bad_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ScreenedAddress.objects.all().delete()
    main(["risk", "load-list", "--list", "ofac", "--asset", "ETH", str(_file(tmp_path, OFAC_ETH))])
    lines = [
        json.dumps(event(event_id="l-1")),
        "{broken",
        "",
        json.dumps(event(event_id="l-4", ip="not-an-ip")),
        json.dumps(event("withdrawal_requested", "l-5", address=OFAC_ETH)),
    ]
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n")
    capsys.readouterr()

    first = main(["risk", "ingest", str(events)])
    first_output = capsys.readouterr().out
    second = main(["risk", "ingest", str(events)])

    assert first == 1
    assert first_output.splitlines() == [
        "line 2: invalid_json: not valid JSON",
        "line 4: invalid_field: ip: value is not a valid IPv4 or IPv6 address",
        f"screening hit: l-5 {OFAC_ETH} is on the ofac list ()",
        "accepted 2, duplicates 0, rejected 2",
    ]
    assert second == 1
    assert capsys.readouterr().out.splitlines()[-1] == "accepted 0, duplicates 2, rejected 2"
    assert sorted(RiskEvent.objects.values_list("event_id", "source")) == [
        ("l-1", "file"),
        ("l-5", "file"),
    ]


def test_load_list_and_screen(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    list_file = _file(tmp_path, f"{OFAC_ETH}\n")

    loaded = main(["risk", "load-list", "--list", "ofac", "--asset", "eth", str(list_file)])
    listed = main(["risk", "screen", OFAC_ETH.upper().replace("0X", "0x")])
    clean = main(["risk", "screen", CLEAN_ETH])
    refused = main(["risk", "load-list", "--list", "scam", str(_file(tmp_path, "bad address"))])

    output = capsys.readouterr()
    assert (loaded, listed, clean, refused) == (0, 1, 0, 1)
    assert output.out.splitlines()[1:] == [
        f"{OFAC_ETH.lower()}: ofac list, ETH, from list.txt",
        f"{CLEAN_ETH}: not on any loaded list",
    ]
    assert output.out.splitlines()[0].startswith("ofac ETH from list.txt: 1 addresses (sha256 ")
    assert output.err == "kefu risk load-list: Line 1 is not an address: bad address\n"


def _file(folder: Path, content: str) -> Path:
    path = folder / "list.txt"
    path.write_text(content)
    return path
