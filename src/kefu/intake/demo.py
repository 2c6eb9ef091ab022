"""The demo's channels: the fictional exchange's official channels, which customers can check
at /verify/ and the bot knows, and a phone line whose calls are logged. Called by
``kefu.demo``. No account that would try to reach the internet is connected: a support lead
adds their own mailbox and bots under Console → Channels."""

from __future__ import annotations

import secrets

from kefu.accounts.models import User
from kefu.intake.channels.phone.services import connect_phone_account
from kefu.intake.models import OfficialKind
from kefu.intake.verification import add_official_channel

OFFICIAL = [
    (OfficialKind.WEBSITE, "https://novaex.example", "Website and app downloads · 官网与应用下载"),
    (OfficialKind.EMAIL, "support@novaex.example", "Support email · 客服邮箱"),
    (OfficialKind.TELEGRAM, "@novaex_support", "Support bot on Telegram · 电报客服机器人"),
    (OfficialKind.TELEGRAM, "@novaex_announcements", "Announcements channel · 公告频道"),
    (OfficialKind.DISCORD, "https://discord.gg/novaex", "Community server · 社区服务器"),
    (OfficialKind.X, "@NovaExOfficial", "News on X · X 官方账号"),
    (OfficialKind.PHONE, "+86 400 820 8888", "Hotline, 24/7 · 24 小时客服热线"),
]


def load_demo_channels(admin: User) -> None:
    """Register the demo exchange's official channels and connect its telephony system."""
    for kind, value, label in OFFICIAL:
        add_official_channel(admin, kind=kind, value=value, label=label)
    connect_phone_account(name="NovaEx hotline", secret=secrets.token_urlsafe(32))
