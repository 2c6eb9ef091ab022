"""The demo's staff accounts, importable without Django (tests and benchmarks sign in as them)."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "kefu-demo-2026"


@dataclass(frozen=True)
class DemoStaff:
    username: str
    display_name: str
    role: str  # a value of accounts.models.Role
    queues: tuple[str, ...]
    languages: tuple[str, ...]
    language: str
    totp_secret: str  # empty: the person enrols an authenticator at first sign-in


STAFF = (
    DemoStaff(
        "admin", "Admin", "admin", (), ("en", "zh"), "en", "JBSWY3DPEHPK3PXPKEFUADMIN2345672"
    ),
    DemoStaff(
        "chen.jing",
        "陈静 Chen Jing",
        "supervisor",
        (),
        ("zh", "en"),
        "zh-hans",
        "KEFUSUPERVISORCHENJING234567ABCD",
    ),
    DemoStaff(
        "li.na",
        "李娜 Li Na",
        "agent",
        ("account_security", "general"),
        ("zh", "en"),
        "zh-hans",
        "KEFUAGENTLINA234567ABCDEFGHIJKLM",
    ),
    DemoStaff(
        "tom",
        "Tom Walker",
        "agent",
        ("deposit_withdrawal", "general"),
        ("en", "zh"),
        "en",
        "KEFUAGENTTOMWALKER234567ABCDEFGH",
    ),
    DemoStaff(
        "wang.wei",
        "王伟 Wang Wei",
        "agent",
        ("trading", "api"),
        ("zh",),
        "zh-hans",
        "KEFUAGENTWANGWEI234567ABCDEFGHIJ",
    ),
    DemoStaff(
        "sara",
        "Sara Kim",
        "agent",
        ("verification", "fiat_p2p", "products"),
        ("en",),
        "en",
        "KEFUAGENTSARAKIM234567ABCDEFGHIJ",
    ),
    DemoStaff(
        "zhou.min", "周敏 Zhou Min", "agent", ("deposit_withdrawal",), ("zh",), "zh-hans", ""
    ),
)
