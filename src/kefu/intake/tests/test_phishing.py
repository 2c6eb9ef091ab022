from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.accounts.models import User
from kefu.conversations import services as conversations
from kefu.conversations.models import (
    AuthorType,
    Channel,
    Conversation,
    Message,
    TimelineKind,
)
from kefu.intake.models import OfficialKind
from kefu.intake.phishing import (
    DATA_FILE,
    LinkReason,
    LinkVerdict,
    OfficialDomains,
    check_host,
    check_message_links,
    find_links,
    fold,
    load_lists,
    normalise_host,
    phishing_lists,
    warn_about_links,
)
from kefu.intake.verification import add_official_channel

pytestmark = pytest.mark.django_db

OFFICIAL = OfficialDomains(hosts=frozenset({"kefu-exchange.com"}), brand=fold("Kefu"))


@pytest.fixture
def registry(supervisor: User) -> None:
    add_official_channel(supervisor, kind=OfficialKind.WEBSITE, value="https://kefu-exchange.com")
    add_official_channel(supervisor, kind=OfficialKind.EMAIL, value="support@kefu-mail.com")


def verdict(host: str) -> tuple[LinkVerdict, LinkReason, str]:
    finding = check_host(normalise_host(host), OFFICIAL)
    return finding.verdict, finding.reason, finding.matched


def test_the_lists_ship_with_kefu() -> None:
    assert DATA_FILE.is_file()
    assert (DATA_FILE.parent / "eth_phishing_detect.LICENSE").is_file()
    lists = phishing_lists()
    assert len(lists.blacklist) == 41_502
    assert len(lists.whitelist) == 952
    assert lists.fuzzylist == tuple(
        sorted(
            [
                "cryptokitties.co",
                "launchpad.ethereum.org",
                "etherscan.io",
                "makerfoundation.com",
                "metamask.io",
                "myetherwallet.com",
                "opensea.io",
                "satoshilabs.com",
            ]
        )
    )
    assert lists.tolerance == 2


def test_a_listed_domain_and_its_subdomains_are_phishing() -> None:
    assert verdict("arbtirum.io") == (LinkVerdict.PHISHING, LinkReason.BLACKLIST, "arbtirum.io")
    assert verdict("https://Login.Wallet.ARBTIRUM.io/claim?x=1") == (
        LinkVerdict.PHISHING,
        LinkReason.BLACKLIST,
        "arbtirum.io",
    )
    # A longer name that only ends in the same letters is another domain.
    assert verdict("notarbtirum.io")[0] != LinkVerdict.PHISHING


def test_a_domain_close_to_a_protected_brand_is_suspicious() -> None:
    assert verdict("metamasc.io") == (LinkVerdict.SUSPICIOUS, LinkReason.FUZZY, "metamask.io")
    assert verdict("myetherwallat.com") == (
        LinkVerdict.SUSPICIOUS,
        LinkReason.FUZZY,
        "myetherwallet.com",
    )
    assert verdict("wallet.opensae.io")[0] == LinkVerdict.SUSPICIOUS
    # The brands themselves are fine, and unrelated domains unknown.
    assert verdict("metamask.io")[0] == LinkVerdict.SAFE
    assert verdict("portfolio.metamask.io")[0] == LinkVerdict.SAFE
    assert verdict("example.org") == (LinkVerdict.UNKNOWN, LinkReason.NONE, "")


def test_the_allow_list_wins_over_the_block_list_and_the_fuzzy_list() -> None:
    lists = phishing_lists()
    assert "metmask.com" in lists.whitelist and "metmask.com" in lists.blacklist
    assert verdict("metmask.com") == (LinkVerdict.SAFE, LinkReason.WHITELIST, "metmask.com")
    assert "usermd.net" in lists.blacklist and "strzelcu.usermd.net" in lists.whitelist
    assert verdict("strzelcu.usermd.net")[0] == LinkVerdict.SAFE
    assert verdict("other.usermd.net")[0] == LinkVerdict.PHISHING
    assert verdict("metamax.io")[0] == LinkVerdict.SAFE


def test_the_exchanges_own_sites_are_official_and_their_imitations_dangerous() -> None:
    assert verdict("https://www.kefu-exchange.com/login") == (
        LinkVerdict.OFFICIAL,
        LinkReason.REGISTRY,
        "kefu-exchange.com",
    )
    assert verdict("api.kefu-exchange.com")[0] == LinkVerdict.OFFICIAL
    # Look-alike letters (Cyrillic "е", digit zero) or dropped separators copy the name.
    assert verdict("kеfu-exchange.com")[:2] == (LinkVerdict.PHISHING, LinkReason.HOMOGLYPH)
    assert verdict("kefu-exchang3.com")[:2] == (LinkVerdict.PHISHING, LinkReason.HOMOGLYPH)
    assert verdict("kefuexchange.com")[:2] == (LinkVerdict.PHISHING, LinkReason.HOMOGLYPH)
    # Another top-level domain, a few letters off, or the brand's name in it.
    assert verdict("kefu-exchange.co") == (
        LinkVerdict.SUSPICIOUS,
        LinkReason.LOOKALIKE,
        "kefu-exchange.com",
    )
    assert verdict("kefu-exchanqe.net")[:2] == (LinkVerdict.SUSPICIOUS, LinkReason.LOOKALIKE)
    assert verdict("kefu-exchange.com.claim-bonus.io")[0] == LinkVerdict.SUSPICIOUS
    assert verdict("kefu-support.io") == (LinkVerdict.SUSPICIOUS, LinkReason.LOOKALIKE, "kefu")


def test_the_registry_and_the_brand_make_the_official_domains(registry: None) -> None:
    findings = check_message_links(
        "Log in at https://kefu-exchange.com or write to support@kefu-mail.com, not at kefu-mail.co"
    )
    assert [(f.host, f.verdict) for f in findings] == [
        ("kefu-exchange.com", LinkVerdict.OFFICIAL),
        ("kefu-mail.co", LinkVerdict.SUSPICIOUS),
    ]


@pytest.mark.parametrize(
    ("text", "hosts"),
    [
        ("go to binance-support.com now", ["binance-support.com"]),
        ("请访问binance-support。com领取空投", ["binance-support.com"]),
        ("官网：ｈｔｔｐｓ：／／ｋｅｆｕ．ｃｏｍ／ｌｏｇｉｎ。谢谢", ["kefu.com"]),
        ("hxxps://arbtirum[.]io/claim and hxxp://evil(.)xyz", ["arbtirum.io", "evil.xyz"]),
        ("Is this yours (https://kefu.com/a_(b))?", ["kefu.com"]),
        ("see https://kefu.com/login.", ["kefu.com"]),
        ("links: kefu.com, www.Kefu.com; KEFU.COM!", ["kefu.com"]),
        ("write to support@kefu-help.com", []),
        ("我的问题解决了。谢谢", []),
        ("ok。thanks", []),
        ("version 2.5.1 costs 3.14 USDT, e.g. today", []),
        ("http://1.2.3.4:8080/x", ["1.2.3.4"]),
        ("kеfu.com", ["xn--kfu-rdd.com"]),
        ("", []),
    ],
)
def test_links_are_found_in_tricky_text(text: str, hosts: list[str]) -> None:
    assert [link.host for link in find_links(text)] == hosts


def test_trailing_punctuation_is_not_part_of_a_link() -> None:
    [link] = find_links("快看 https://arbtirum.io/claim?id=7， 真的吗")
    assert link.text == "https://arbtirum.io/claim?id=7"


def test_a_text_without_links_costs_no_query() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert check_message_links("Where is my deposit? It has been 3 hours.") == []
    assert len(queries) == 0


def test_exact_checks_take_well_under_a_millisecond_per_link() -> None:
    phishing_lists()  # loaded once per process
    hosts = [normalise_host(h) for h in ("arbtirum.io", "a.b.arbtirum.io", "metamask.io")]
    rounds = 2_000
    started = time.perf_counter()
    for _round in range(rounds):
        for host in hosts:
            check_host(host, OFFICIAL)
    per_link = (time.perf_counter() - started) / (rounds * len(hosts))
    assert per_link < 0.0005


def test_a_list_file_of_another_shape_is_read_safely(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"blacklist": ["Evil.COM.", 7, ""], "whitelist": "nope", "tolerance": 99}')
    lists = load_lists(path)
    assert lists.blacklist == frozenset({"evil.com"})
    assert lists.whitelist == frozenset()
    assert lists.tolerance == 2
    path.write_text("[1, 2]")
    with pytest.raises(ValueError):
        load_lists(path)


def customer_says(conversation: Conversation, body: str) -> Message:
    return conversations.post_customer_message(conversation.pk, body=body).message


def warnings_in(conversation: Conversation) -> list[Message]:
    return list(conversation.messages.filter(author_type=AuthorType.SYSTEM))


def test_a_phishing_link_is_warned_about_once(conversation: Conversation) -> None:
    message = customer_says(conversation, "Support told me to verify at hxxps://arbtirum[.]io")
    count = Conversation.objects.get(pk=conversation.pk).message_count
    findings = warn_about_links(message)
    assert [(f.host, f.verdict) for f in findings] == [("arbtirum.io", LinkVerdict.PHISHING)]
    [warning] = warnings_in(conversation)
    assert not warning.is_internal
    assert "arbtirum[.]io" in warning.body and "arbtirum.io" not in warning.body
    assert "phishing site" in warning.body
    assert "http://testserver/verify/" in warning.body
    [event] = conversation.timeline.filter(kind=TimelineKind.PHISHING_LINK)
    assert event.data == {
        "message": message.pk,
        "warning": warning.pk,
        "links": [
            {
                "host": "arbtirum.io",
                "verdict": "phishing",
                "reason": "blacklist",
                "matched": "arbtirum.io",
            }
        ],
    }
    assert Conversation.objects.get(pk=conversation.pk).message_count == count + 1
    # Again (a retry, a second worker): nothing new; the warning itself is not checked.
    assert warn_about_links(message) == findings
    assert warn_about_links(warning) == []
    assert len(warnings_in(conversation)) == 1
    assert conversation.timeline.filter(kind=TimelineKind.PHISHING_LINK).count() == 1


def test_official_and_unknown_links_are_not_warned_about(
    conversation: Conversation, registry: None
) -> None:
    message = customer_says(
        conversation, "I logged in at https://www.kefu-exchange.com and read example.org"
    )
    assert warn_about_links(message) == []
    assert warnings_in(conversation) == []
    assert not conversation.timeline.filter(kind=TimelineKind.PHISHING_LINK).exists()


def test_an_imitation_of_the_exchange_is_warned_about_in_the_customers_language(
    customer: Any, teams: Any, registry: None
) -> None:
    chinese = conversations.start_conversation(
        customer=customer,
        channel=Channel.WIDGET,
        body="客服让我去 kefu-exchange。co 验证账户",
        language="zh",
    )
    findings = warn_about_links(chinese.message)
    assert [(f.host, f.verdict, f.reason) for f in findings] == [
        ("kefu-exchange.co", LinkVerdict.SUSPICIOUS, LinkReason.LOOKALIKE)
    ]
    [warning] = warnings_in(chinese.conversation)
    assert warning.language == "zh"
    assert "kefu-exchange[.]co" in warning.body


def test_internal_notes_are_not_checked(conversation: Conversation, agent: User) -> None:
    note = conversations.post_agent_message(
        agent, conversation.pk, body="Customer was sent arbtirum.io", is_internal=True
    ).message
    assert warn_about_links(note) == []
    assert warnings_in(conversation) == []
