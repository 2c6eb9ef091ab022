"""Screening lists for the demo: the full shared lists when ``../shared/data`` is there, else
the small samples shipped in ``kefu/risk/data``."""

from __future__ import annotations

import hashlib
from pathlib import Path

from kefu.risk.models import ScreeningList, ScreeningListVersion
from kefu.risk.services import load_screening_list

PACKAGED = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
FORTA_FILES = ("labels/1/phishing_scams.csv", "labels/1/etherscan_malicious_labels.csv")


def demo_list_files(shared: Path = SHARED) -> list[tuple[ScreeningList, Path]]:
    """The list files the demo loads, with the list each belongs to."""
    ofac = shared / "ofac_sanctioned_addresses"
    scam = shared / "forta_labelled_datasets"
    if ofac.is_dir() and scam.is_dir():
        files = [(ScreeningList.OFAC, path) for path in sorted(ofac.glob("sanctioned_*.txt"))]
        files += [
            (ScreeningList.SCAM, scam / name) for name in FORTA_FILES if (scam / name).exists()
        ]
        return files
    files = [(ScreeningList.OFAC, path) for path in sorted(PACKAGED.glob("sanctioned_*.txt"))]
    return files + [(ScreeningList.SCAM, path) for path in sorted(PACKAGED.glob("scam_*.txt"))]


def load_demo_lists(shared: Path = SHARED) -> int:
    """Load the demo's screening lists, skipping files already loaded unchanged.

    Returns how many addresses were loaded now (0 when every file was already loaded).
    """
    loaded = 0
    for list_name, path in demo_list_files(shared):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        current = ScreeningListVersion.objects.filter(list=list_name, source=path.name).first()
        if current is not None and current.sha256 == digest:
            continue
        loaded += load_screening_list(list_name, path, loaded_by="demo").count
    return loaded
