"""Screening lists: normalisation, loading and replacing, versions, and bad files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kefu.risk.errors import ScreeningListInvalid
from kefu.risk.models import ScreenedAddress, ScreeningList, ScreeningListVersion
from kefu.risk.screening import AddressMatch, normalise_address, screen_addresses
from kefu.risk.services import load_screening_list
from kefu.risk.tests.factories import (
    CLEAN_ETH,
    OFAC_BECH32,
    OFAC_ETH,
    OFAC_TRON,
    SCAM_ETH,
    load_sample_lists,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        (
            " 0xAbCdEf0123456789aBcDeF0123456789AbCdEf01 ",
            "0xabcdef0123456789abcdef0123456789abcdef01",
        ),
        ("BC1Q05AKTDDF9CE4P7HH3STGSF253M4VWEU7NKHTMW", OFAC_BECH32),
        (
            "bc1Q05aktddf9ce4p7hh3stgsf253m4vweu7nkhtmw",
            "bc1Q05aktddf9ce4p7hh3stgsf253m4vweu7nkhtmw",
        ),
        (OFAC_TRON, OFAC_TRON),
        ("123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX", "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX"),
    ],
)
def test_addresses_are_compared_in_their_canonical_form(given: str, normalised: str) -> None:
    assert normalise_address(given) == normalised


def test_the_sample_lists_are_found_in_one_query(django_assert_num_queries: object) -> None:
    assert load_sample_lists() == 50

    with django_assert_num_queries(1):  # type: ignore[operator]
        found = screen_addresses(
            [
                ("ETH", OFAC_ETH.lower()),
                ("", OFAC_TRON),
                ("BTC", OFAC_BECH32.upper()),
                ("ETH", SCAM_ETH.upper().replace("0X", "0x")),
                ("ETH", CLEAN_ETH),
                ("TRX", OFAC_TRON.lower()),  # base58 is case-sensitive: another address
            ]
        )

    assert found == {
        ("ETH", OFAC_ETH.lower()): [
            AddressMatch("ofac", "ETH", "", "sanctioned_addresses_ETH.txt")
        ],
        ("", OFAC_TRON): [AddressMatch("ofac", "TRX", "", "sanctioned_addresses_TRX.txt")],
        ("BTC", OFAC_BECH32.upper()): [
            AddressMatch("ofac", "XBT", "", "sanctioned_addresses_XBT.txt")
        ],
        ("ETH", SCAM_ETH.upper().replace("0X", "0x")): [
            AddressMatch("scam", "ETH", "Fake_Phishing3901", "scam_addresses_ETH.txt")
        ],
    }
    assert load_sample_lists() == 0  # unchanged files are not loaded again


def test_loading_a_list_replaces_it_and_records_a_version(tmp_path: Path) -> None:
    first = tmp_path / "ofac.txt"
    first.write_text(f"# OFAC test\n{OFAC_ETH}\n{CLEAN_ETH}\n")
    second = tmp_path / "ofac.json"
    second.write_text(f'["{OFAC_ETH}"]')
    load_screening_list(ScreeningList.OFAC, first, asset="eth", loaded_by="tester")

    version = load_screening_list(
        ScreeningList.OFAC, second, asset="ETH", source="ofac.txt", loaded_by="tester"
    )

    assert list(ScreenedAddress.objects.values_list("list", "asset", "address", "source")) == [
        ("ofac", "ETH", OFAC_ETH.lower(), "ofac.txt")
    ]
    assert (version.list, version.asset, version.count, version.loaded_by) == (
        "ofac",
        "ETH",
        1,
        "tester",
    )
    assert version.sha256 == hashlib.sha256(second.read_bytes()).hexdigest()
    assert ScreeningListVersion.objects.count() == 2


def test_a_forta_csv_keeps_its_labels(tmp_path: Path) -> None:
    csv_file = tmp_path / "etherscan_malicious_labels.csv"
    csv_file.write_text(
        "banned_address,wallet_tag,data_source\n"
        f"{SCAM_ETH},Fake_Phishing1772,etherscan-phish-hack-list\n"
    )

    load_screening_list(ScreeningList.SCAM, csv_file, loaded_by="tester")

    assert list(ScreenedAddress.objects.values_list("asset", "address", "label")) == [
        ("ETH", SCAM_ETH, "Fake_Phishing1772")
    ]


@pytest.mark.parametrize(
    ("name", "content", "asset", "message"),
    [
        ("list.txt", "0xabc def\n", "ETH", "Line 1 is not an address: 0xabc def"),
        ("list.txt", "# nothing\n\n", "ETH", "The file holds no addresses."),
        ("list.json", '{"a": 1}', "ETH", "A JSON list file must be a list of address strings."),
        ("list.json", "[", "ETH", "The file is not valid JSON."),
        (
            "list.csv",
            "x,y\n1,2\n",
            "ETH",
            "A CSV list needs an address, banned_address or contract_address column.",
        ),
        (
            "list.txt",
            OFAC_ETH,
            None,
            "Name the asset (--asset): the file name does not say which it is.",
        ),
        ("list.txt", OFAC_ETH, "E-T-H", "An asset is 1 to 20 letters or digits, like ETH."),
    ],
)
def test_a_bad_file_leaves_the_loaded_list_intact(
    tmp_path: Path, name: str, content: str, asset: str | None, message: str
) -> None:
    good = tmp_path / "good.txt"
    good.write_text(OFAC_ETH)
    load_screening_list(ScreeningList.OFAC, good, asset="ETH", source="list.txt", loaded_by="t")
    bad = tmp_path / name
    bad.write_text(content)

    with pytest.raises(ScreeningListInvalid) as error:
        load_screening_list(ScreeningList.OFAC, bad, asset=asset, source="list.txt", loaded_by="t")

    assert str(error.value) == message
    assert list(ScreenedAddress.objects.values_list("address", flat=True)) == [OFAC_ETH.lower()]
    assert ScreeningListVersion.objects.count() == 1


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScreeningListInvalid) as error:
        load_screening_list(ScreeningList.OFAC, tmp_path / "none.txt", asset="ETH", loaded_by="t")

    assert str(error.value) == f"Cannot read {tmp_path / 'none.txt'}: No such file or directory"
