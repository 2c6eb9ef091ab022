"""Links in chats checked against phishing lists and the exchange's own websites.

The lists are MetaMask's eth-phishing-detect configuration, shipped in ``intake/data`` (see its
README): a block list, an allow list, and a short "fuzzy" list of protected brand domains with
an edit-distance tolerance. A host is checked in this order:

1. one of the exchange's official websites (the registry of ``kefu.intake.verification``, the
   domains of its official email addresses and the brand's website), or a subdomain: official;
2. on the allow list, or a subdomain of an entry: safe (the allow list wins over the others);
3. on the block list, or a subdomain of an entry: phishing;
4. an imitation of an official website: the same letters once look-alike characters are
   folded (``kefu.com`` written with a Cyrillic "е", ``kefu.c0m``): phishing; a few edits away
   (``kefv.com``) or carrying the brand's name (``kefu-support.com``): suspicious;
5. within the tolerance of a fuzzy-list entry: suspicious.

The lists load once per process, into sets: an exact or parent-domain lookup is a few set
probes, and the edit distances run only against the fuzzy list and the official domains.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import idna
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.accounts.services import get_brand
from kefu.conversations import events
from kefu.conversations.models import (
    AuthorType,
    Conversation,
    Message,
    TimelineEvent,
    TimelineKind,
)
from kefu.conversations.services.conversations import lock_conversation
from kefu.intake.models import OfficialChannel, OfficialKind

logger = logging.getLogger(__name__)
DATA_FILE = Path(__file__).resolve().parent / "data" / "eth_phishing_detect.json"
# A message is looked at up to this many characters, and up to this many links in it.
MAX_TEXT_CHARS = 20_000
MAX_LINKS = 20
# Official names shorter than this are not compared letter by letter (too many false alarms).
MIN_NAME_CHARS = 4
LOOKALIKE_DISTANCE = 2


class LinkVerdict(StrEnum):
    """What a link is: ours, known good, unknown, or dangerous."""

    OFFICIAL = "official"
    SAFE = "safe"
    UNKNOWN = "unknown"
    SUSPICIOUS = "suspicious"
    PHISHING = "phishing"


class LinkReason(StrEnum):
    """Which list or rule decided the verdict."""

    REGISTRY = "registry"
    WHITELIST = "whitelist"
    BLACKLIST = "blacklist"
    HOMOGLYPH = "homoglyph"
    LOOKALIKE = "lookalike"
    FUZZY = "fuzzy"
    NONE = ""


DANGEROUS = (LinkVerdict.PHISHING, LinkVerdict.SUSPICIOUS)


@dataclass(frozen=True)
class FoundLink:
    """A link or bare domain found in a text: as written (after undoing tricks such as
    ``hxxp`` and full-width dots) and its host."""

    text: str
    host: str


@dataclass(frozen=True)
class LinkFinding:
    """The verdict on one link. ``matched`` is the list entry or official domain it matched."""

    text: str
    host: str
    verdict: LinkVerdict
    reason: LinkReason = LinkReason.NONE
    matched: str = ""

    @property
    def is_dangerous(self) -> bool:
        return self.verdict in DANGEROUS

    @property
    def defanged(self) -> str:
        """The host in a form no chat turns into a link (``evil[.]com``)."""
        return defang(self.host)


@dataclass(frozen=True)
class PhishingLists:
    """The loaded lists: hosts in sets, the fuzzy list with its tolerance, and the top-level
    domains seen in them (which tell a bare domain in a text from a word with a dot)."""

    blacklist: frozenset[str]
    whitelist: frozenset[str]
    fuzzylist: tuple[str, ...]
    tolerance: int
    top_level_domains: frozenset[str]


@dataclass(frozen=True)
class OfficialDomains:
    """The exchange's own websites, and the folded forms an imitation is compared against."""

    hosts: frozenset[str]
    brand: str = ""

    @property
    def folded(self) -> tuple[tuple[str, str, str], ...]:
        """(host, folded host, folded name) of each official host."""
        return _folded_hosts(self.hosts)


# Common top-level domains, besides those the lists contain and every two-letter country code.
_BASE_TOP_LEVEL_DOMAINS = frozenset(
    [
        "com",
        "net",
        "org",
        "edu",
        "gov",
        "mil",
        "int",
        "info",
        "biz",
        "name",
        "pro",
        "mobi",
        "asia",
        "tel",
        "travel",
        "io",
        "co",
        "ai",
        "app",
        "dev",
        "me",
        "tv",
        "cc",
        "ws",
        "la",
        "xyz",
        "top",
        "vip",
        "site",
        "online",
        "live",
        "club",
        "shop",
        "store",
        "ltd",
        "finance",
        "financial",
        "exchange",
        "money",
        "cash",
        "trade",
        "trading",
        "market",
        "markets",
        "wallet",
        "crypto",
        "bitcoin",
        "link",
        "click",
        "website",
        "web",
        "tech",
        "cloud",
        "network",
        "support",
        "help",
        "services",
        "service",
        "solutions",
        "digital",
        "space",
        "fun",
        "icu",
        "cyou",
        "buzz",
        "life",
        "world",
        "today",
        "email",
        "security",
        "secure",
        "page",
        "news",
        "blog",
        "one",
        "best",
        "bid",
        "win",
        "loan",
        "art",
        "global",
        "group",
        "center",
        "zone",
        "plus",
        "run",
        "host",
        "press",
        "work",
        "works",
        "ink",
        "lol",
        "cfd",
        "sbs",
        "bond",
        "rest",
        "pw",
        "bar",
        "fit",
        "mom",
        "quest",
        "skin",
    ]
)


def load_lists(path: Path) -> PhishingLists:
    """Read a config.json of eth-phishing-detect; entries that are not strings are skipped.
    Raises OSError or ValueError when the file cannot be read as JSON."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError("the phishing list is not a JSON object")

    def hosts(name: str) -> set[str]:
        entries = document.get(name, [])
        found: set[str] = set()
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, str) and entry.strip():
                found.add(entry.strip().lower().rstrip("."))
        return found

    blacklist, whitelist, fuzzylist = hosts("blacklist"), hosts("whitelist"), hosts("fuzzylist")
    tolerance = document.get("tolerance", 2)
    top_level = {host.rsplit(".", 1)[-1] for host in blacklist | whitelist | fuzzylist}
    return PhishingLists(
        blacklist=frozenset(blacklist),
        whitelist=frozenset(whitelist),
        fuzzylist=tuple(sorted(fuzzylist)),
        tolerance=tolerance if isinstance(tolerance, int) and 0 <= tolerance <= 3 else 2,
        top_level_domains=frozenset(
            tld for tld in top_level | _BASE_TOP_LEVEL_DOMAINS if tld.isascii()
        ),
    )


@cache
def phishing_lists() -> PhishingLists:
    """The shipped lists, read at the first check in a process."""
    return load_lists(DATA_FILE)


# --- hosts -------------------------------------------------------------------------------------

_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_FULL_STOPS = str.maketrans({"。": ".", "｡": ".", "．": ".", "﹒": "."})
_DEFANGED = (
    (re.compile(r"\[\s*(?:\.|dot)\s*\]|\(\s*(?:\.|dot)\s*\)|\{\s*(?:\.|dot)\s*\}", re.I), "."),
    (re.compile(r"\[\s*:\s*\]"), ":"),
    (re.compile(r"\[\s*/\s*\]"), "/"),
    (re.compile(r"\b(?:hxxp|hxtp|htxp|h\*\*p|h__p)(s?)(?=\[?:)", re.I), r"http\1"),
    (re.compile(r"(https?)\[:\]//", re.I), r"\1://"),
)


def refang(text: str) -> str:
    """Undo the tricks that keep a link from being clickable or recognised: full-width letters
    and dots, ``hxxp``, ``evil[.]com``."""
    text = unicodedata.normalize("NFKC", text).translate(_FULL_STOPS)
    for pattern, replacement in _DEFANGED:
        text = pattern.sub(replacement, text)
    return text


def defang(host: str) -> str:
    """``evil.com`` → ``evil[.]com``: shown to people, never turned into a link."""
    return host.replace(".", "[.]")


def normalise_host(text: str) -> str:
    """The host of a URL or domain as Kefu compares it: no scheme, user, port, path or
    ``www.``, lower case, international names in their ASCII (punycode) form.

    Raises ValueError when there is no valid host.
    """
    value = refang(text.strip())[:2048]
    if "://" not in value:
        value = "//" + value.lstrip("/")
    host = urlsplit(value).hostname or ""
    host = host.strip().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if not host or len(host) > 253:
        raise ValueError("no host")
    if _IPV4.match(host):
        return host
    ascii_host = _to_ascii(host)
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError("not a valid host name")
    if not re.fullmatch(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}", labels[-1]):
        raise ValueError("not a valid top-level domain")
    return ascii_host


def _to_ascii(host: str) -> str:
    if host.isascii():
        return host.lower()
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        try:
            return host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise ValueError("not a valid international host name") from None


def to_unicode(host: str) -> str:
    """The host as people read it (``xn--kfu-8cd.com`` → ``kеfu.com``); unchanged when it is
    not valid punycode."""
    if "xn--" not in host:
        return host
    try:
        return idna.decode(host)
    except (idna.IDNAError, UnicodeError):
        return host


def parents(host: str) -> list[str]:
    """The host and each parent domain down to two labels: a.b.evil.com, b.evil.com,
    evil.com."""
    labels = host.split(".")
    return [".".join(labels[index:]) for index in range(max(len(labels) - 1, 1))]


def _is_within(host: str, domains: frozenset[str]) -> str:
    """The entry of ``domains`` that is ``host`` or one of its parents, else ""."""
    for candidate in parents(host):
        if candidate in domains:
            return candidate
    return ""


# --- look-alikes -------------------------------------------------------------------------------

_CONFUSABLE = str.maketrans(
    {
        "0": "o",
        "1": "l",
        "i": "l",
        "|": "l",
        "!": "l",
        "3": "e",
        "5": "s",
        "$": "s",
        "@": "a",
        # Cyrillic and Greek letters that look Latin.
        "а": "a",
        "в": "b",
        "е": "e",
        "ё": "e",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "і": "l",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "ԛ": "q",
        "ԝ": "w",
        "ɡ": "g",
        "α": "a",
        "ε": "e",
        "ι": "l",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
    }
)
_CONFUSABLE_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))


def fold(text: str) -> str:
    """The letters of a name with look-alikes folded together and separators dropped:
    ``Kefu_Supp0rt``, ``kefu-support`` and ``kefusupport`` fold to the same ``kefusupport``."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.translate(_CONFUSABLE)
    for pair, single in _CONFUSABLE_PAIRS:
        text = text.replace(pair, single)
    return re.sub(r"[\W_]+", "", text)


def edit_distance(first: str, second: str, limit: int) -> int:
    """The Levenshtein distance of two strings, or ``limit + 1`` once it is known to be more
    than ``limit`` (so long unrelated strings cost little)."""
    if abs(len(first) - len(second)) > limit:
        return limit + 1
    previous = list(range(len(second) + 1))
    for row, first_char in enumerate(first, start=1):
        current = [row]
        for column, second_char in enumerate(second, start=1):
            current.append(
                min(
                    previous[column] + 1,
                    current[column - 1] + 1,
                    previous[column - 1] + (first_char != second_char),
                )
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return min(previous[-1], limit + 1)


def _name_of(host: str) -> str:
    """The host without its top-level domain: ``login.kefu.com`` → ``login.kefu``."""
    return host.rsplit(".", 1)[0]


@lru_cache(maxsize=16)
def _folded_hosts(hosts: frozenset[str]) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (host, fold(to_unicode(host)), fold(to_unicode(_name_of(host).rsplit(".", 1)[-1])))
        for host in sorted(hosts)
    )


def imitated_domain(host: str, official: OfficialDomains) -> tuple[str, bool] | None:
    """The official domain (or brand name) ``host`` imitates, and whether it is a letter-for-
    letter copy with look-alike characters; None when it imitates none. The official hosts
    themselves and their subdomains imitate nothing."""
    if _is_within(host, official.hosts):
        return None
    readable = to_unicode(host)
    folded_host = fold(readable)
    labels = [fold(label) for label in to_unicode(_name_of(host)).split(".")]
    for official_host, folded_official, folded_name in official.folded:
        if folded_host == folded_official:
            return official_host, True
        if len(folded_name) < MIN_NAME_CHARS:
            continue
        if any(
            edit_distance(label, folded_name, LOOKALIKE_DISTANCE) <= LOOKALIKE_DISTANCE
            for label in labels
        ):
            return official_host, False
        if any(folded_name in label for label in labels):
            return official_host, False
    if len(official.brand) >= MIN_NAME_CHARS and any(official.brand in label for label in labels):
        return official.brand, False
    return None


def official_domains() -> OfficialDomains:
    """The exchange's websites: the registry's active websites, the domains of its official
    email addresses, and the brand's website."""
    hosts: set[str] = set()
    rows = OfficialChannel.objects.filter(
        is_active=True, kind__in=[OfficialKind.WEBSITE, OfficialKind.EMAIL]
    ).values_list("kind", "value")
    for kind, value in rows:
        hosts.add(value.rpartition("@")[2] if kind == OfficialKind.EMAIL else value)
    brand = get_brand()
    if brand.website_url:
        try:
            hosts.add(normalise_host(brand.website_url))
        except ValueError:
            logger.warning("the brand's website %r has no valid host", brand.website_url)
    return OfficialDomains(hosts=frozenset(h for h in hosts if h), brand=fold(brand.name))


def check_host(host: str, official: OfficialDomains, *, text: str = "") -> LinkFinding:
    """The verdict on a normalised host (see the module's docstring for the order)."""
    lists = phishing_lists()
    text = text or host

    def finding(verdict: LinkVerdict, reason: LinkReason, matched: str = "") -> LinkFinding:
        return LinkFinding(text, host, verdict, reason, matched)

    if matched := _is_within(host, official.hosts):
        return finding(LinkVerdict.OFFICIAL, LinkReason.REGISTRY, matched)
    if matched := _is_within(host, lists.whitelist):
        return finding(LinkVerdict.SAFE, LinkReason.WHITELIST, matched)
    if matched := _is_within(host, lists.blacklist):
        return finding(LinkVerdict.PHISHING, LinkReason.BLACKLIST, matched)
    imitated = imitated_domain(host, official)
    if imitated is not None:
        copied_letters = imitated[1]
        return finding(
            LinkVerdict.PHISHING if copied_letters else LinkVerdict.SUSPICIOUS,
            LinkReason.HOMOGLYPH if copied_letters else LinkReason.LOOKALIKE,
            imitated[0],
        )
    if matched := fuzzy_match(host, lists):
        return finding(LinkVerdict.SUSPICIOUS, LinkReason.FUZZY, matched)
    return finding(LinkVerdict.UNKNOWN, LinkReason.NONE)


def fuzzy_match(host: str, lists: PhishingLists) -> str:
    """The fuzzy-list entry ``host`` is within the tolerance of (and is not itself, nor a
    subdomain of), else ""."""
    if _is_within(host, frozenset(lists.fuzzylist)):
        return ""
    candidates = {host, ".".join(host.split(".")[-2:])}
    for entry in lists.fuzzylist:
        for candidate in candidates:
            if edit_distance(candidate, entry, lists.tolerance) <= lists.tolerance:
                return entry
    return ""


# --- links in text -----------------------------------------------------------------------------

# Letters a host name may be written with (Latin, Greek and Cyrillic: look-alike attacks), not
# Chinese, so a domain written straight after Chinese text is still found.
_LETTER = r"a-z0-9\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_LABEL = rf"[{_LETTER}](?:[{_LETTER}_-]{{0,61}}[{_LETTER}])?"
_STOP = r"\s<>\"'`\u2e80-\u9fff\u3000-\u303f\uac00-\ud7af\uff00-\uffef"
_URL = re.compile(rf"\b(?:https?|ftp)://[^{_STOP}]+", re.IGNORECASE)
_BARE = re.compile(
    rf"(?<![{_LETTER}_@.\-/])"
    rf"(?P<host>(?:{_LABEL}\.)+(?P<tld>[a-z]{{2,24}}|xn--[a-z0-9-]{{2,59}}))"
    rf"(?::\d{{1,5}})?(?:/[^{_STOP}]*)?"
    rf"(?![{_LETTER}_@-])",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\")]}>*"


def find_links(text: str) -> list[FoundLink]:
    """The links and bare domains in a text, each host once, in order of appearance.

    Finds ``https://…`` links, ``hxxp://`` and ``evil[.]com`` forms, full-width letters and
    dots (``binance-support。com``), and bare domains with a known top-level domain; trailing
    punctuation is not part of a link, and email addresses are not links.
    """
    text = refang((text or "")[:MAX_TEXT_CHARS])
    found: dict[str, FoundLink] = {}
    lists = phishing_lists()

    def add(raw: str) -> None:
        raw = _trim(raw)
        try:
            host = normalise_host(raw)
        except ValueError:
            return
        if host not in found and len(found) < MAX_LINKS:
            found[host] = FoundLink(raw, host)

    for match in _URL.finditer(text):
        add(match.group(0))
    rest = _URL.sub(" ", text)
    for match in _BARE.finditer(rest):
        tld = match.group("tld").lower()
        if len(tld) == 2 or tld.startswith("xn--") or tld in lists.top_level_domains:
            add(match.group(0))
    return list(found.values())


def _trim(link: str) -> str:
    while link and link[-1] in _TRAILING:
        if link[-1] == ")" and link.count("(") >= link.count(")"):
            break
        link = link[:-1]
    return link


def check_links(links: Iterable[FoundLink]) -> list[LinkFinding]:
    """The verdict on each link (the registry is read once)."""
    links = list(links)
    if not links:
        return []
    official = official_domains()
    return [check_host(link.host, official, text=link.text) for link in links]


def check_message_links(text: str) -> list[LinkFinding]:
    """The verdict on every link in a chat message (no database query without a link)."""
    return check_links(find_links(text))


# --- warning the customer ----------------------------------------------------------------------


def warn_about_links(message: Message) -> list[LinkFinding]:
    """Warn about the dangerous links of a public customer message: a public system message
    tells the customer, in their language, not to open them, and a ``phishing_link`` timeline
    event names them for agents. Returns the dangerous findings (empty: nothing to warn about).

    Safe to call twice: a message is warned about once (the conversation row is locked while
    checking). Internal notes and system messages are not looked at.
    """
    if message.is_internal or message.author_type == AuthorType.SYSTEM:
        return []
    dangerous = [finding for finding in check_message_links(message.body) if finding.is_dangerous]
    if not dangerous:
        return []
    with transaction.atomic():
        conversation = lock_conversation(message.conversation_id)
        warned = TimelineEvent.objects.filter(
            conversation=conversation, kind=TimelineKind.PHISHING_LINK, data__message=message.pk
        ).exists()
        if not warned:
            _post_warning(conversation, message, dangerous)
    return dangerous


def _post_warning(
    conversation: Conversation, message: Message, dangerous: list[LinkFinding]
) -> None:
    warning = Message.objects.create(
        conversation=conversation,
        author_type=AuthorType.SYSTEM,
        body=warning_text(conversation.language, dangerous),
        language=conversation.language,
    )
    Conversation.objects.filter(pk=conversation.pk).update(message_count=F("message_count") + 1)
    conversation.message_count += 1
    events.record_timeline(
        conversation,
        TimelineKind.PHISHING_LINK,
        data={
            "message": message.pk,
            "warning": warning.pk,
            "links": [
                {
                    "host": finding.host,
                    "verdict": str(finding.verdict),
                    "reason": str(finding.reason),
                    "matched": finding.matched,
                }
                for finding in dangerous
            ],
        },
    )
    # The warning goes out on the conversation's channel like any system message.
    from kefu.intake.outbound import queue_deliveries

    queue_deliveries([warning])
    events.publish_message(warning, conversation)


def warning_text(language: str, dangerous: list[LinkFinding]) -> str:
    """The warning to the customer, in their language (``zh`` or ``en``)."""
    with translation.override("zh-hans" if language.startswith("zh") else "en"):
        links = ", ".join(finding.defanged for finding in dangerous)
        known = any(finding.verdict == LinkVerdict.PHISHING for finding in dangerous)
        if known:
            text = _(
                "Warning: %(links)s in your message is a phishing site, made to steal accounts "
                "and funds."
            ) % {"links": links}
        else:
            text = _(
                "Warning: %(links)s in your message looks like an imitation of a real site and "
                "is probably a phishing site."
            ) % {"links": links}
        advice = _(
            "Do not open it, and never enter your password, verification codes, seed phrase "
            "or private keys there. Our staff never send such links. Check any link or "
            "account at %(url)s"
        ) % {"url": settings.SITE_URL + reverse("verification:verify")}
    return f"{text} {advice}"
