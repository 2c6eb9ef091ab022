from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from conftest import console_client
from kefu.accounts.models import AuditLogEntry, User
from kefu.intake.models import OfficialChannel, OfficialKind
from kefu.intake.verification import (
    ValueInvalid,
    VerificationStatus,
    add_official_channel,
    check_channel,
    deactivate_official_channel,
    guess_kind,
    normalise,
    official_channel_reply,
)
from kefu.lib.errors import PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(supervisor: User) -> dict[str, OfficialChannel]:
    entries = {
        "telegram": (OfficialKind.TELEGRAM, "https://t.me/Kefu_Support", "Support on Telegram"),
        "announcements": (OfficialKind.TELEGRAM, "@kefu_news", "Announcements"),
        "x": (OfficialKind.X, "https://x.com/KefuExchange", "News on X"),
        "discord": (OfficialKind.DISCORD, "https://discord.gg/KeFu42", "Community server"),
        "email": (OfficialKind.EMAIL, "Kefu Support <Support@Kefu-Exchange.com>", ""),
        "phone": (OfficialKind.PHONE, "+86 400 888 0000", "Hotline"),
        "website": (OfficialKind.WEBSITE, "https://www.kefu-exchange.com/", "Main site"),
    }
    return {
        name: add_official_channel(supervisor, kind=kind, value=value, label=label)
        for name, (kind, value, label) in entries.items()
    }


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("telegram", "@Kefu_Support", "kefu_support"),
        ("telegram", "t.me/kefu_support", "kefu_support"),
        ("telegram", "https://telegram.me/kefu_support", "kefu_support"),
        ("telegram", "https://t.me/s/Kefu_News/123", "kefu_news"),
        ("telegram", "https://t.me/+AbC_dEf", "invite:AbC_dEf"),
        ("telegram", "t.me/joinchat/AbCdEf", "invite:AbCdEf"),
        ("telegram", "tg://resolve?domain=Kefu_Support", "kefu_support"),
        ("discord", "@KefuMod", "kefumod"),
        ("discord", "KefuMod#0420", "kefumod#0420"),
        ("discord", "kefu.mod", "kefu.mod"),
        ("discord", "https://discord.gg/KeFu42", "invite:KeFu42"),
        ("discord", "discord.com/invite/KeFu42", "invite:KeFu42"),
        ("email", "Kefu Support <Support@Kefu.COM>", "support@kefu.com"),
        ("email", "mailto:help@kefu.com?subject=hi", "help@kefu.com"),
        ("email", "help@Bücher.example", "help@xn--bcher-kva.example"),
        ("phone", "+86 (400) 888-0000", "+864008880000"),
        ("phone", "0086 400 888 0000", "+864008880000"),
        ("phone", "400-888-0000", "4008880000"),
        ("phone", "＋８６ ４００ ８８８ ００００", "+864008880000"),
        ("website", "https://WWW.Kefu-Exchange.com:8443/login?next=/", "kefu-exchange.com"),
        ("website", "kefu-exchange.com.", "kefu-exchange.com"),
        ("website", "hxxps://kefu-exchange[.]com", "kefu-exchange.com"),
        ("website", "https://user:pw@app.kefu-exchange.com/", "app.kefu-exchange.com"),
        ("website", "https://kеfu.com", "xn--kfu-rdd.com"),
        ("website", "https://bücher.example/", "xn--bcher-kva.example"),
        ("x", "@KefuExchange", "kefuexchange"),
        ("x", "https://twitter.com/KefuExchange/status/1", "kefuexchange"),
        ("x", "x.com/kefuexchange", "kefuexchange"),
    ],
)
def test_values_are_normalised_per_kind(kind: str, text: str, value: str) -> None:
    assert normalise(kind, text) == value


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("telegram", "https://evil.com/kefu_support"),
        ("telegram", "@a b"),
        ("discord", "https://discord.com/channels/1/2"),
        ("email", "not an address"),
        ("phone", "call 400 888"),
        ("phone", "+12"),
        ("website", "https://"),
        ("website", "localhost"),
        ("x", "https://evil.com/kefu"),
        ("telegram", ""),
        ("telegram", "k" * 501),
        ("fax", "12345"),
    ],
)
def test_values_that_are_not_of_their_kind_are_refused(kind: str, text: str) -> None:
    with pytest.raises(ValueInvalid):
        normalise(kind, text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("@kefu_support", OfficialKind.TELEGRAM),
        ("https://t.me/kefu_support", OfficialKind.TELEGRAM),
        ("discord.gg/abc", OfficialKind.DISCORD),
        ("KefuMod#0420", OfficialKind.DISCORD),
        ("x.com/kefu", OfficialKind.X),
        ("Kefu <support@kefu.com>", OfficialKind.EMAIL),
        ("+86 400 888 0000", OfficialKind.PHONE),
        ("https://kefu.com/login", OfficialKind.WEBSITE),
        ("kefu-exchange.co", OfficialKind.WEBSITE),
        ("hello world", None),
        ("", None),
    ],
)
def test_the_kind_is_guessed_from_what_was_entered(text: str, kind: OfficialKind | None) -> None:
    assert guess_kind(text) == kind


def status(text: str, kind: str | None = None) -> tuple[VerificationStatus, str]:
    result = check_channel(text, kind)
    return result.status, result.label


def test_official_channels_are_recognised_however_they_are_written(
    registry: dict[str, OfficialChannel],
) -> None:
    assert status("@KEFU_SUPPORT") == (VerificationStatus.OFFICIAL, "Support on Telegram")
    assert status("https://telegram.me/kefu_support") == (
        VerificationStatus.OFFICIAL,
        "Support on Telegram",
    )
    assert status("https://discord.gg/KeFu42") == (VerificationStatus.OFFICIAL, "Community server")
    assert status("support@kefu-exchange.com") == (VerificationStatus.OFFICIAL, "")
    assert status("+86 400-888-0000") == (VerificationStatus.OFFICIAL, "Hotline")
    assert status("https://app.kefu-exchange.com/login") == (
        VerificationStatus.OFFICIAL,
        "Main site",
    )
    # A bare handle is looked for among X and Discord accounts too.
    result = check_channel("@kefuexchange")
    assert (result.kind, result.status) == (OfficialKind.X, VerificationStatus.OFFICIAL)
    # An unregistered address on the exchange's own domain is the exchange's.
    assert status("noreply@kefu-exchange.com") == (VerificationStatus.OFFICIAL, "Main site")


def test_imitations_of_official_channels_are_called_out(
    registry: dict[str, OfficialChannel],
) -> None:
    assert status("@kefu_supp0rt") == (VerificationStatus.LOOKALIKE, "kefu_support")
    assert status("@kefusupport") == (VerificationStatus.LOOKALIKE, "kefu_support")
    assert status("@kefu_suport") == (VerificationStatus.LOOKALIKE, "kefu_support")
    with pytest.raises(ValueInvalid):
        check_channel("@kеfu_support")  # Telegram names are Latin letters only
    # The brand's name in a handle that is not registered.
    assert status("@kefu_help_desk") == (VerificationStatus.LOOKALIKE, "Kefu")
    assert status("https://kefu-exchange.co") == (VerificationStatus.LOOKALIKE, "Main site")
    assert status("support@kefu-exchanqe.com") == (VerificationStatus.LOOKALIKE, "Main site")
    assert status("https://kefuexchange.com")[0] == VerificationStatus.LOOKALIKE
    assert status("https://discord.gg/KEFU42")[0] == VerificationStatus.NOT_OFFICIAL


def test_what_is_neither_official_nor_similar_is_not_official(
    registry: dict[str, OfficialChannel],
) -> None:
    assert status("@crypto_helpdesk") == (VerificationStatus.NOT_OFFICIAL, "")
    assert status("+1 555 0100 200") == (VerificationStatus.NOT_OFFICIAL, "")
    assert status("someone@gmail.com") == (VerificationStatus.NOT_OFFICIAL, "")
    assert status("https://example.org") == (VerificationStatus.NOT_OFFICIAL, "")
    result = check_channel("@crypto_helpdesk")
    assert result.message == (
        "No: crypto_helpdesk is not an official channel of Kefu. Do not trust what it tells you, "
        "and never send it money, passwords or codes."
    )


def test_known_phishing_sites_are_reported(registry: dict[str, OfficialChannel]) -> None:
    assert status("https://claim.arbtirum.io/") == (VerificationStatus.PHISHING, "")
    assert status("help@arbtirum.io") == (VerificationStatus.PHISHING, "")


def test_a_deactivated_channel_is_no_longer_official(
    registry: dict[str, OfficialChannel], supervisor: User
) -> None:
    deactivate_official_channel(supervisor, registry["announcements"].pk)
    assert status("@kefu_news")[0] != VerificationStatus.OFFICIAL
    again = add_official_channel(supervisor, kind="telegram", value="t.me/kefu_news", label="News")
    assert again.pk == registry["announcements"].pk and again.is_active
    assert status("@kefu_news") == (VerificationStatus.OFFICIAL, "News")
    actions = list(
        AuditLogEntry.objects.filter(
            target_type="official_channel", target_id=str(again.pk)
        ).values_list("action", flat=True)
    )
    assert sorted(actions) == [
        "official_channel.added",
        "official_channel.deactivated",
        "official_channel.reactivated",
    ]


def test_only_supervisors_edit_the_registry(agent: User, supervisor: User) -> None:
    with pytest.raises(PermissionDenied):
        add_official_channel(agent, kind="telegram", value="@fake_support")
    entry = add_official_channel(supervisor, kind="telegram", value="@kefu_support")
    with pytest.raises(PermissionDenied):
        deactivate_official_channel(agent, entry.pk)
    assert list(OfficialChannel.objects.values_list("value", "is_active")) == [
        ("kefu_support", True)
    ]
    assert AuditLogEntry.objects.filter(target_type="official_channel").count() == 1


def test_nothing_checkable_is_refused() -> None:
    for text, kind in (("", None), ("hello world", None), ("@kefu", "fax")):
        with pytest.raises(ValueInvalid):
            check_channel(text, kind)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("is @kefu_help official?", "Fake: kefu_help is NOT an official channel of Kefu."),
        ("Is @kefu_support really your Telegram?", "Yes: kefu_support is an official channel"),
        ("is support@kefu-help.com your email?", "Fake: support@kefu-help.com is NOT"),
        ("https://kefu-exchange.co is this your site?", "Fake: kefu-exchange.co is NOT"),
        ("Is https://claim.arbtirum.io legit?", "Danger: claim.arbtirum.io is a known phishing"),
        ("someone called me from +86 400 888 0000, is that number real?", "Yes: +864008880000"),
    ],
)
def test_the_bot_answers_whether_a_channel_is_official(
    registry: dict[str, OfficialChannel], text: str, expected: str
) -> None:
    reply = official_channel_reply(text, "en")
    assert reply is not None
    assert reply.startswith(expected)
    if not reply.startswith("Yes"):
        assert reply.endswith("You can check any account or link at http://testserver/verify/")


def test_the_bot_answers_in_chinese(registry: dict[str, OfficialChannel]) -> None:
    reply = official_channel_reply("这个电报 @kefu_support 是官方的吗", "zh")
    with translation.override("zh-hans"):
        expected = check_channel("@kefu_support", "telegram").message
    assert reply == expected
    # The brand's Chinese name: the answer is in the customer's language.
    assert "客服" in expected and "Kefu" not in expected
    fake = official_channel_reply("这个推特 @kefu_exchange_vip 是真的吗？", "zh")
    assert fake is not None and "kefu_exchange_vip" in fake and "客服" in fake


@pytest.mark.parametrize(
    "text",
    [
        "My deposit has not arrived",
        "What is your official website?",
        "is order 20240101 real?",
        "please check https://kefu-exchange.com/deposit for me",
        "",
    ],
)
def test_the_bot_stays_quiet_about_other_messages(
    registry: dict[str, OfficialChannel], text: str
) -> None:
    assert official_channel_reply(text, "en") is None


# --- the public page and the API --------------------------------------------------------------


def test_the_page_shows_a_green_answer_for_an_official_channel(
    client: Client, registry: dict[str, OfficialChannel]
) -> None:
    response = client.get("/verify/", {"q": "t.me/kefu_support"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="notice notice-success" role="status" id="verify-result"' in page
    assert 'data-status="official"' in page
    assert "Yes: kefu_support is an official channel of Kefu" in page
    assert "What to do if it is fake" not in page
    # The list of official channels.
    for value in ("kefu_support", "kefu_news", "kefuexchange", "+864008880000"):
        assert f"<code>{value}</code>" in page


def test_the_page_shows_a_red_answer_and_advice_for_a_fake(
    client: Client, registry: dict[str, OfficialChannel]
) -> None:
    response = client.get("/verify/", {"q": "@kefu_supp0rt"}, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert 'class="notice notice-error" role="alert" id="verify-result"' in page
    assert 'data-status="lookalike"' in page
    assert "What to do if it is fake" in page


def test_the_page_speaks_the_visitors_language(
    client: Client, registry: dict[str, OfficialChannel]
) -> None:
    english = client.get("/verify/", {"q": "@kefu_support"}, HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en">' in english.content.decode()
    chinese = client.get("/verify/", {"q": "@kefu_support"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = chinese.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "帮助中心" in page
    assert "客服" in page  # the brand's Chinese name, in the answer too
    client.cookies["django_language"] = "zh-hans"
    assert '<html lang="zh-hans">' in client.get("/verify/").content.decode()


def test_what_the_visitor_entered_is_escaped(client: Client) -> None:
    entered = '<script>alert("x")</script>'
    page = client.get("/verify/", {"q": entered}).content.decode()
    assert entered not in page
    assert "&lt;script&gt;" in page
    assert 'id="verify-error"' in page
    link = client.get("/verify/", {"q": 'https://evil.example/"><img src=x onerror=alert(1)>'})
    assert "<img src=x" not in link.content.decode()


def test_an_empty_page_asks_for_a_value_and_counts_no_request(client: Client) -> None:
    with override_settings(RATE_LIMITS={"kb_search": "1/m"}):
        for _attempt in range(3):
            page = client.get("/verify/")
            assert page.status_code == 200
            assert 'id="verify-result"' not in page.content.decode()


@override_settings(RATE_LIMITS={"kb_search": "2/m"})
def test_the_page_and_the_api_are_rate_limited(client: Client) -> None:
    assert client.get("/verify/", {"q": "@kefu_support"}).status_code == 200
    assert client.get("/api/v1/verify", {"value": "@kefu_support"}).status_code == 200
    assert client.get("/verify/", {"q": "@kefu_support"}).status_code == 429
    limited = client.get("/api/v1/verify", {"value": "@kefu_support"})
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"


def test_the_api_answers_with_the_result(
    client: Client, registry: dict[str, OfficialChannel]
) -> None:
    response = client.get("/api/v1/verify", {"value": "@Kefu_Support", "kind": "telegram"})
    assert response.status_code == 200
    assert response.json() == {
        "kind": "telegram",
        "value": "kefu_support",
        "status": "official",
        "is_official": True,
        "label": "Support on Telegram",
        "message": "Yes: kefu_support is an official channel of Kefu (Telegram account or group). "
        "Support on Telegram",
    }
    fake = client.get("/api/v1/verify", {"value": "https://kefu-exchange.co"}).json()
    assert (fake["kind"], fake["status"], fake["is_official"]) == ("website", "lookalike", False)


def test_the_api_refuses_what_it_cannot_check(client: Client) -> None:
    bad_kind = client.get("/api/v1/verify", {"value": "@kefu", "kind": "fax"})
    assert bad_kind.status_code == 422
    assert bad_kind.json()["code"] == "invalid_input"
    missing = client.get("/api/v1/verify")
    assert missing.status_code == 422
    nothing = client.get("/api/v1/verify", {"value": "hello world"})
    assert nothing.status_code == 400
    assert nothing.json()["code"] == "invalid_input"
    too_long = client.get("/api/v1/verify", {"value": "a" * 501})
    assert too_long.status_code == 422


# --- the registry's console page --------------------------------------------------------------


def test_agents_read_the_registry_and_supervisors_edit_it(
    agent: User, supervisor: User, registry: dict[str, OfficialChannel]
) -> None:
    url = reverse("channels:official:registry")
    page = console_client(agent).get(url)
    assert page.status_code == 200
    assert "<code>kefu_support</code>" in page.content.decode()
    assert "Add an official channel" not in page.content.decode()
    refused = console_client(agent).post(url, {"kind": "telegram", "value": "@fake", "label": ""})
    assert refused.status_code == 403
    assert not OfficialChannel.objects.filter(value="fake").exists()
    editor = console_client(supervisor)
    assert "Add an official channel" in editor.get(url).content.decode()
    added = editor.post(url, {"kind": "x", "value": "https://x.com/Kefu_CN", "label": "中文推特"})
    assert added.status_code == 302 and added["Location"] == url
    entry = OfficialChannel.objects.get(kind="x", value="kefu_cn")
    assert entry.label == "中文推特" and entry.created_by == supervisor
    audit = AuditLogEntry.objects.get(action="official_channel.added", target_id=str(entry.pk))
    assert audit.actor == supervisor


def test_a_value_of_the_wrong_kind_is_shown_as_an_error(supervisor: User) -> None:
    url = reverse("channels:official:registry")
    response = console_client(supervisor).post(url, {"kind": "phone", "value": "call us"})
    assert response.status_code == 200
    assert "This is not a phone number." in response.content.decode()
    assert OfficialChannel.objects.count() == 0


def test_a_supervisor_deactivates_an_entry(
    agent: User, supervisor: User, registry: dict[str, OfficialChannel]
) -> None:
    entry = registry["announcements"]
    url = reverse("channels:official:deactivate", args=[entry.pk])
    assert console_client(agent).post(url).status_code == 403
    assert OfficialChannel.objects.get(pk=entry.pk).is_active
    response = console_client(supervisor).post(url)
    assert response.status_code == 302
    assert not OfficialChannel.objects.get(pk=entry.pk).is_active
    missing = reverse("channels:official:deactivate", args=[entry.pk + 1000])
    assert console_client(supervisor).post(missing).status_code == 404
