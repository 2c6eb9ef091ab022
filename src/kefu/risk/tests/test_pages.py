"""The address screening page of the console and the staff screening endpoint."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import console_client
from kefu.accounts import services as accounts
from kefu.accounts.models import User
from kefu.risk.tests.factories import CLEAN_ETH, OFAC_ETH, SCAM_ETH, load_sample_lists

pytestmark = pytest.mark.django_db


def test_an_agent_screens_an_address(agent: User) -> None:
    load_sample_lists()
    client = console_client(agent)

    listed = client.get(reverse("risk:screen"), {"address": SCAM_ETH.upper().replace("0X", "0x")})
    clean = client.get(reverse("risk:screen"), {"address": CLEAN_ETH, "asset": "eth"})

    page = listed.content.decode()
    assert listed.status_code == 200
    assert 'data-listed="true"' in page
    assert "Fake_Phishing3901" in page
    assert 'id="list-versions"' not in page  # list versions are for supervisors
    assert 'data-listed="false"' in clean.content.decode()
    assert reverse("risk:cases") in client.get(reverse("conversations:inbox")).content.decode()


def test_the_page_escapes_what_was_typed_and_shows_versions_to_supervisors(
    supervisor: User,
) -> None:
    load_sample_lists()

    page = (
        console_client(supervisor)
        .get(reverse("risk:screen"), {"address": "<script>alert(1)</script>"})
        .content.decode()
    )

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'id="list-versions"' in page
    assert "sanctioned_addresses_ETH.txt" in page


def test_the_page_is_for_signed_in_staff() -> None:
    response = Client().get(reverse("risk:screen"), {"address": OFAC_ETH})

    assert response.status_code == 302


def test_the_staff_api_screens_an_address(agent: User) -> None:
    load_sample_lists()
    _token, plain = accounts.create_api_token(agent, name="risk")
    url = "/api/v1/staff/risk/screen"

    anonymous = Client().get(url, {"address": OFAC_ETH})
    body = Client(HTTP_AUTHORIZATION=f"Bearer {plain}").get(
        url, {"address": OFAC_ETH, "asset": "usdt"}
    )

    assert anonymous.status_code == 401
    assert body.json() == {
        "address": OFAC_ETH,
        "normalised": OFAC_ETH.lower(),
        "asset": "USDT",
        "is_listed": True,
        "matches": [
            {"list": "ofac", "asset": "ETH", "label": "", "source": "sanctioned_addresses_ETH.txt"}
        ],
    }
