"""Risk events as the exchange sends them, and the screening lists shipped with Kefu."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kefu.risk.demo import load_demo_lists

OFAC_ETH = "0x04DBA1194ee10112fE6C3207C0687DEf0e78baCf"  # first line of the OFAC ETH list
OFAC_BECH32 = "bc1q05aktddf9ce4p7hh3stgsf253m4vweu7nkhtmw"  # first bech32 line of OFAC XBT
OFAC_TRON = "TAYhjpL8pPs8T84FSM329nffQpc6jD8GBM"  # first line of OFAC TRX
SCAM_ETH = "0x000000000532b45f47779fce440748893b257865"  # Forta: Fake_Phishing3901
CLEAN_ETH = "0x1111111111111111111111111111111111111111"


def load_sample_lists() -> int:
    """Load the samples shipped in kefu/risk/data (never the shared data, as on CI)."""
    return load_demo_lists(shared=Path("/nonexistent"))


def event(kind: str = "login_succeeded", event_id: str = "e-1", **fields: Any) -> dict[str, Any]:
    """A valid event of ``kind`` with the fields that kind needs, overridden by ``fields``."""
    base: dict[str, Any] = {
        "event_id": event_id,
        "kind": kind,
        "user_id": "u-1001",
        "occurred_at": "2025-06-01T08:00:00+00:00",
    }
    if kind in ("login_succeeded", "login_failed"):
        base |= {"ip": "203.0.113.7", "device_id": "d-1", "user_agent": "Mozilla/5.0"}
    if kind in ("withdrawal_requested", "withdrawal_address_added"):
        base |= {"asset": "USDT", "network": "ETH", "address": CLEAN_ETH}
    if kind in ("withdrawal_requested", "deposit"):
        base |= {"asset": "USDT", "network": "ETH", "amount": "250.5"}
    if kind == "trade":
        base |= {"asset": "BTC", "amount": "0.01"}
    return base | fields
