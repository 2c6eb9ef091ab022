"""Reading coins, networks, txids, amounts and yes/no out of what customers write."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kefu.bot.extract import asks_for_human, choice_number, complains, extract, is_no, is_yes
from kefu.exchange.adapter import Network, TxidFormat

NETWORKS = [
    Network(coin, code, code, 12, 0.2, memo, fmt, Decimal(1), Decimal(10), Decimal(1), True, True)
    for coin, code, memo, fmt in [
        ("USDT", "TRC20", False, TxidFormat.HEX64),
        ("USDT", "ERC20", False, TxidFormat.HEX64_0X),
        ("USDT", "BEP20", False, TxidFormat.HEX64_0X),
        ("BTC", "BTC", False, TxidFormat.HEX64),
        ("ETH", "ERC20", False, TxidFormat.HEX64_0X),
        ("SOL", "SOL", False, TxidFormat.BASE58),
        ("XRP", "XRP", True, TxidFormat.HEX64),
    ]
]
HEX = "7f3c" * 16
SIGNATURE = "5" + "Jq9xK3mPz" * 9 + "abcdef"  # 88 base58 characters


@pytest.mark.parametrize(
    ("text", "coin", "network", "amount"),
    [
        ("我充的U怎么还没到账 500u", "USDT", "", Decimal(500)),
        ("usdt trc-20 1,200.50", "USDT", "TRC20", Decimal("1200.50")),
        ("sent 0.5 btc yesterday", "BTC", "", Decimal("0.5")),
        ("以太坊 ERC20 2 ETH", "ETH", "ERC20", Decimal(2)),
        ("波场链 转了 300 泰达币", "USDT", "TRC20", Decimal(300)),
        ("can u check my withdrawal", "", "", None),
        ("my 2fa and TRC20 10x", "", "TRC20", None),
    ],
)
def test_coin_network_amount(text: str, coin: str, network: str, amount: Decimal | None) -> None:
    found = extract(text, NETWORKS)
    assert found.coin == coin
    assert found.network == network
    assert (found.amounts[0] if found.amounts else None) == amount


def test_txids_of_every_format_and_broken_ones() -> None:
    assert extract(f"txid {HEX}", NETWORKS).txid == HEX
    assert extract(f"hash: 0x{HEX}", NETWORKS).txid == f"0x{HEX}"
    assert extract(f"sig {SIGNATURE}", NETWORKS).txid == SIGNATURE
    assert extract("USDT TRC20 txid 7f3c9a1e", NETWORKS).bad_txids == ("7f3c9a1e",)
    assert extract("哈希 0x12ab", NETWORKS).bad_txids == ("0x12ab",)
    # An address is not a txid.
    assert not extract("to TQ8hW1rBzE7qN3kSxq9xR6kYcU2pL4dVnE", NETWORKS).bad_txids


def test_record_ids_next_to_chinese() -> None:
    assert extract("单号就是W-288810 不会错", NETWORKS).record_ids == ("W-288810",)
    assert extract("d-100001", NETWORKS).record_ids == ("D-100001",)


def test_unlisted_tokens() -> None:
    found = extract("我转了SHIB2进来", NETWORKS, ["SHIB2", "PEPE3"])
    assert found.unknown_coins == ("SHIB2",)


@pytest.mark.parametrize(
    ("text", "yes", "no"),
    [
        ("yes thanks, that solved it", True, False),
        ("好的 解决了 谢谢", True, False),
        ("嗯嗯", True, False),
        ("no that didn't help", False, True),
        ("这个没用", False, True),
        ("还是没到账", False, True),
        ("银行卡转账怎么操作", False, False),
        ("can u check my withdrawal", False, False),
    ],
)
def test_yes_and_no(text: str, yes: bool, no: bool) -> None:
    assert (is_yes(text), is_no(text)) == (yes, no)


@pytest.mark.parametrize(
    ("text", "human"),
    [
        ("I want to talk to a real person", True),
        ("agent please", True),
        ("转人工", True),
        ("An agent closed my ticket last week", False),
        ("how do I become an agent of the referral program", False),
    ],
)
def test_asking_for_a_person(text: str, human: bool) -> None:
    assert asks_for_human(text) is human


def test_complaints_and_choices() -> None:
    assert complains("我要投诉") and complains("I want to file a complaint")
    assert choice_number("2", 3) == 2 and choice_number("第三个", 3) == 3
    assert choice_number("4", 3) is None and choice_number("two of them", 3) is None
