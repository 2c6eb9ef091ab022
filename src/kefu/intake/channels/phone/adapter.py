"""The phone channel's adapter: calls come in by the telephony webhook (``api.py``) or are
logged by agents; nothing is polled, and replies are not sent by phone (an agent calls back)."""

from __future__ import annotations

from kefu.intake.adapters import ChannelAdapter, register
from kefu.intake.models import ChannelKind


class PhoneAdapter(ChannelAdapter):
    kind = ChannelKind.PHONE


register(PhoneAdapter())
