"""Address screening: how addresses are normalised, looked up and read from list files.

An address is compared in a canonical form, so a list and a withdrawal agree however each
spells it:

- EVM addresses (``0x`` and 40 hex digits: Ethereum, BSC, Arbitrum, ...) are lower-cased. Their
  mixed case is only the EIP-55 checksum, so ``0xAbC...`` and ``0xabc...`` are one address.
- Bech32 and bech32m addresses (``bc1``, ``ltc1``, ``tb1``, ...) are lower-cased. The format is
  case-insensitive and its canonical form is lower case (BIP-173).
- Everything else (Bitcoin base58, Tron base58, Solana, XRP, Monero, Bitcoin Cash cashaddr) is
  kept exactly: base58 is case-sensitive, and lower-casing it would merge different addresses.

Surrounding white space is removed. The asset is not part of the match: OFAC tags an address
with an asset, not a chain (its USDT list holds Tron, Ethereum and Bitcoin addresses), so
every list is checked whatever chain a withdrawal is on.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from kefu.risk.errors import ScreeningListInvalid
from kefu.risk.models import ScreenedAddress

MAX_ADDRESS_LENGTH = 128
MAX_LABEL_LENGTH = 200
_EVM = re.compile(r"0x[0-9a-fA-F]{40}")
_BECH32_PREFIXES = ("bc1", "tb1", "bcrt1", "ltc1", "tltc1")
_ADDRESS = re.compile(r"[0-9A-Za-z:._-]{10,128}")
# Column of the address and of its label in the CSV files of Forta's labelled datasets.
_CSV_COLUMNS = (
    ("address", "etherscan_tag"),
    ("banned_address", "wallet_tag"),
    ("contract_address", "contract_tag"),
)


@dataclass(frozen=True)
class AddressMatch:
    """One list an address is on."""

    list: str
    asset: str
    label: str
    source: str


@dataclass(frozen=True)
class ListEntry:
    """One address read from a list file."""

    address: str
    label: str


def normalise_address(address: str) -> str:
    """Return ``address`` in the form lists store it (see the module's docstring)."""
    stripped = address.strip()
    if _EVM.fullmatch(stripped):
        return stripped.lower()
    if stripped.lower().startswith(_BECH32_PREFIXES) and stripped in (
        stripped.lower(),
        stripped.upper(),
    ):
        return stripped.lower()
    return stripped


def screen_addresses(
    addresses: Iterable[tuple[str, str]],
) -> dict[tuple[str, str], list[AddressMatch]]:
    """Look up ``(asset, address)`` pairs on every screening list, in one indexed query.

    Returns each pair that is on a list, as it was given, with its matches (one per list and
    listed asset, sorted); pairs on no list are left out.
    """
    pairs = list(addresses)
    wanted = {normalise_address(address) for _asset, address in pairs}
    wanted.discard("")
    if not wanted:
        return {}
    found: dict[str, set[AddressMatch]] = {}
    rows = ScreenedAddress.objects.filter(address__in=wanted).values_list(
        "address", "list", "asset", "label", "source"
    )
    for address, list_name, asset, label, source in rows:
        found.setdefault(address, set()).add(AddressMatch(list_name, asset, label, source))
    result: dict[tuple[str, str], list[AddressMatch]] = {}
    for asset, address in pairs:
        matches = found.get(normalise_address(address))
        if matches:
            result[(asset, address)] = _unique_per_list(matches)
    return result


def _unique_per_list(matches: set[AddressMatch]) -> list[AddressMatch]:
    """One match per list and asset: the same address from two source files is one hit."""
    chosen: dict[tuple[str, str], AddressMatch] = {}
    for match in sorted(matches, key=lambda m: (m.list, m.asset, m.label == "", m.source)):
        chosen.setdefault((match.list, match.asset), match)
    return list(chosen.values())


def parse_list_file(name: str, content: bytes) -> list[ListEntry]:
    """Read a list file: a JSON list of addresses (the OFAC ``.json`` files), a Forta CSV, or
    text with one address per line (optionally ``address,label``; ``#`` starts a comment).

    Raises :class:`ScreeningListInvalid` naming the first bad line; returns the entries with
    normalised addresses, without repeats.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScreeningListInvalid(_("The file is not UTF-8 text.")) from None
    if name.lower().endswith(".json"):
        raw = _json_entries(text)
    elif name.lower().endswith(".csv"):
        raw = _csv_entries(text)
    else:
        raw = _text_entries(text)
    entries: dict[str, ListEntry] = {}
    for line, address, label in raw:
        normalised = normalise_address(address)
        if not _ADDRESS.fullmatch(normalised):
            raise ScreeningListInvalid(
                _("Line %(line)d is not an address: %(text)s")
                % {"line": line, "text": address[:80]}
            )
        entries.setdefault(normalised, ListEntry(normalised, label.strip()[:MAX_LABEL_LENGTH]))
    if not entries:
        raise ScreeningListInvalid(_("The file holds no addresses."))
    return list(entries.values())


def _json_entries(text: str) -> list[tuple[int, str, str]]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ScreeningListInvalid(_("The file is not valid JSON.")) from None
    if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
        raise ScreeningListInvalid(_("A JSON list file must be a list of address strings."))
    return [(index, item, "") for index, item in enumerate(data, start=1)]


def _csv_entries(text: str) -> list[tuple[int, str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    for address_column, label_column in _CSV_COLUMNS:
        if address_column in columns:
            return [
                (line, row.get(address_column) or "", row.get(label_column) or "")
                for line, row in enumerate(reader, start=2)
            ]
    raise ScreeningListInvalid(
        _("A CSV list needs an address, banned_address or contract_address column.")
    )


def _text_entries(text: str) -> list[tuple[int, str, str]]:
    entries = []
    for line, raw in enumerate(text.splitlines(), start=1):
        content = raw.split("#", 1)[0].strip()
        if content:
            address, _comma, label = content.partition(",")
            entries.append((line, address, label))
    return entries


@dataclass(frozen=True)
class ScreenResult:
    """One address looked up for a person: what was asked, how it compares, and the lists."""

    address: str
    normalised: str
    asset: str
    matches: list[AddressMatch]

    @property
    def is_listed(self) -> bool:
        return bool(self.matches)


def screen_address(address: str, asset: str = "") -> ScreenResult:
    """Look one address up on every list (the console tool and the staff API)."""
    address, asset = address.strip()[:MAX_ADDRESS_LENGTH], asset.strip().upper()[:20]
    matches = screen_addresses([(asset, address)]).get((asset, address), [])
    return ScreenResult(address, normalise_address(address), asset, matches)
