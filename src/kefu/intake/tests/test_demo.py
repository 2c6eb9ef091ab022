"""The demo's channels: the registry the bot and /verify/ answer from, and a phone line."""

from __future__ import annotations

import pytest

from kefu.accounts.models import User
from kefu.intake.demo import OFFICIAL, load_demo_channels
from kefu.intake.models import ChannelAccount, ChannelKind, OfficialChannel
from kefu.intake.verification import VerificationStatus, check_channel

pytestmark = pytest.mark.django_db


def test_the_demo_registers_the_exchange_channels(supervisor: User) -> None:
    load_demo_channels(supervisor)
    assert OfficialChannel.objects.filter(is_active=True).count() == len(OFFICIAL)
    assert check_channel("t.me/NovaEx_Support").status == VerificationStatus.OFFICIAL
    assert check_channel("@novaex_supp0rt").status != VerificationStatus.OFFICIAL
    phone = ChannelAccount.objects.get(kind=ChannelKind.PHONE)
    assert len(phone.config["secret"]) >= 32
