"""Is this handle, address, number or link really the exchange's?

Impersonating support is the commonest scam in crypto: a fake "@Exchange_Support" on Telegram,
a look-alike website, an email from a similar domain. Staff keep a registry of the exchange's
official channels (:class:`~kefu.intake.models.OfficialChannel`); customers check a value on
the public page ``/verify/``, through ``GET /api/v1/verify`` or by asking the bot in chat.

Every value is normalised per kind before it is stored or compared, so "@Kefu_Support",
"t.me/kefu_support" and "https://telegram.me/kefu_support" are the same Telegram account. A
value that is not official but nearly is (a few letters away, look-alike characters, the
brand's name in it) is reported as an imitation; websites are also checked against the
phishing lists of :mod:`kefu.intake.phishing`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from email.utils import parseaddr
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.events import record_audit
from kefu.accounts.models import User
from kefu.accounts.services import get_brand
from kefu.intake.models import OfficialChannel, OfficialKind
from kefu.intake.phishing import (
    LinkReason,
    LinkVerdict,
    check_host,
    edit_distance,
    find_links,
    fold,
    normalise_host,
    official_domains,
    refang,
)
from kefu.lib.errors import ErrorCode, KefuError, NotFound, PermissionDenied

MAX_VALUE_CHARS = 500
MAX_LABEL_CHARS = 200
# Official handles shorter than this are compared only exactly (too many false alarms).
MIN_HANDLE_CHARS = 5
LOOKALIKE_DISTANCE = 2
# The public page and API count against the help center's search limit (settings.RATE_LIMITS):
# both are cheap public look-ups.
RATE_LIMIT = "kb_search"
HANDLE_KINDS = (OfficialKind.TELEGRAM, OfficialKind.X, OfficialKind.DISCORD)
TELEGRAM_HOSTS = frozenset({"t.me", "telegram.me", "telegram.dog"})
DISCORD_HOSTS = frozenset({"discord.gg", "discord.com", "discordapp.com", "discord.me"})
X_HOSTS = frozenset({"x.com", "twitter.com", "mobile.twitter.com", "mobile.x.com"})


class VerificationStatus(StrEnum):
    """The answer: ours, not ours, a known phishing site, or an imitation of one of ours."""

    OFFICIAL = "official"
    NOT_OFFICIAL = "not_official"
    PHISHING = "phishing"
    LOOKALIKE = "lookalike"


class ValueInvalid(KefuError):
    """What was entered is not a handle, address, number or link of the kind asked about."""

    code = ErrorCode.INVALID_INPUT
    status = 400
    default_message = gettext_lazy(
        "Enter a Telegram or Discord account, an email address, a phone number or a link."
    )


@dataclass(frozen=True)
class VerificationResult:
    """The answer for one value. ``label`` is the matching official entry's description (or,
    for an imitation, what it imitates); ``message`` says it in the active language."""

    kind: OfficialKind
    value: str
    status: VerificationStatus
    label: str
    message: str
    matched: str = ""

    @property
    def is_official(self) -> bool:
        return self.status == VerificationStatus.OFFICIAL


# --- normalisation -----------------------------------------------------------------------------

_TELEGRAM_HANDLE = re.compile(r"^[a-z0-9_]{3,64}$")
_X_HANDLE = re.compile(r"^[a-z0-9_]{1,50}$")
_DISCORD_NAME = re.compile(r"^[^\s@#:/`]{2,32}(?:#\d{4})?$")
_INVITE = re.compile(r"^[A-Za-z0-9_-]{2,64}$")
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]{1,64}@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")
_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,24}")
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")


def normalise_phone(text: str) -> str:
    """A phone number as Kefu stores it: ``+`` and digits (``00`` becomes ``+``), 5 to 15
    digits. Raises ValueError for anything else (letters, an extension, too short or long)."""
    value = unicodedata.normalize("NFKC", text or "").strip().removeprefix("tel:").strip()
    if not _PHONE_CHARS.match(value):
        raise ValueError("a phone number has only digits, spaces, + - ( ) . /")
    international = value.startswith("+")
    digits = re.sub(r"\D", "", value)
    if not international and digits.startswith("00"):
        international, digits = True, digits[2:]
    if not 5 <= len(digits) <= 15:
        raise ValueError("a phone number has 5 to 15 digits")
    return ("+" if international else "") + digits


def _link_parts(value: str) -> tuple[str, list[str], str] | None:
    """Host (lower, no ``www.``), path segments and query of a link; None for a value that is
    not a link (a bare handle)."""
    if value.startswith("@"):
        return None
    if "://" not in value:
        if "/" not in value and "." not in value:
            return None
        value = "//" + value.lstrip("/")
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:
        return None
    if not host:
        return None
    return host, [unquote(segment) for segment in parts.path.split("/") if segment], parts.query


def _normalise_telegram(value: str) -> str:
    link = _link_parts(value)
    if value.lower().startswith("tg://"):
        match = re.search(r"domain=([A-Za-z0-9_]+)", value)
        value = match.group(1) if match else ""
    elif link is not None:
        host, segments, _query = link
        if host not in TELEGRAM_HOSTS or not segments:
            raise ValueInvalid(_("This is not a Telegram link."))
        if segments[0] in ("s", "c") and len(segments) > 1:
            segments = segments[1:]
        if segments[0] == "joinchat" and len(segments) > 1:
            return _invite(segments[1])
        if segments[0].startswith("+"):
            return _invite(segments[0][1:])
        value = segments[0]
    handle = value.strip().lstrip("@").lower()
    if not _TELEGRAM_HANDLE.match(handle):
        raise ValueInvalid(_("A Telegram username has letters, digits and underscores."))
    return handle


def _invite(code: str) -> str:
    # Invite codes are case-sensitive, unlike user names.
    if not _INVITE.match(code):
        raise ValueInvalid(_("This invite link is not valid."))
    return f"invite:{code}"


def _normalise_discord(value: str) -> str:
    # Discord names may have dots ("kefu.mod"): only a value with a path is a link.
    link = _link_parts(value) if "/" in value else None
    if link is not None:
        host, segments, _query = link
        if host not in DISCORD_HOSTS or not segments:
            raise ValueInvalid(_("This is not a Discord link."))
        if host in ("discord.gg", "discord.me"):
            return _invite(segments[0])
        if segments[0] == "invite" and len(segments) > 1:
            return _invite(segments[1])
        if segments[0] == "users" and len(segments) > 1 and segments[1].isdigit():
            return f"id:{segments[1]}"
        raise ValueInvalid(_("This is not a Discord invite or user link."))
    name = value.strip().lstrip("@").lower()
    if not _DISCORD_NAME.match(name):
        raise ValueInvalid(_("This is not a Discord user name."))
    return name


def _normalise_email(value: str) -> str:
    value = value.strip()
    if value.lower().startswith("mailto:"):
        value = value[len("mailto:") :].split("?", 1)[0]
    _display, address = parseaddr(value)
    address = (address or value).strip().lower()
    if not _EMAIL.match(address):
        raise ValueInvalid(_("This is not an email address."))
    local, _at, domain = address.rpartition("@")
    try:
        return f"{local}@{normalise_host(domain)}"
    except ValueError:
        raise ValueInvalid(_("This is not an email address.")) from None


def _normalise_x(value: str) -> str:
    link = _link_parts(value)
    if link is not None:
        host, segments, _query = link
        if host not in X_HOSTS or not segments:
            raise ValueInvalid(_("This is not an X (Twitter) link."))
        value = segments[0]
    handle = value.strip().lstrip("@").lower()
    if not _X_HANDLE.match(handle):
        raise ValueInvalid(_("An X (Twitter) handle has letters, digits and underscores."))
    return handle


def normalise(kind: str, text: str) -> str:
    """The value as the registry stores it, for a kind of :class:`OfficialKind`.

    Telegram ``@Kefu_Support``, ``t.me/kefu_support`` → ``kefu_support``; Discord names lower
    case, ``discord.gg/AbC`` → ``invite:AbC``; email addresses lower case, without a display
    name; phone numbers ``+`` and digits; websites their host (see
    :func:`kefu.intake.phishing.normalise_host`); X ``@handle``, ``x.com/handle`` → ``handle``.
    Raises :class:`ValueInvalid`.
    """
    value = refang((text or "").strip())
    if not value:
        raise ValueInvalid()
    if len(value) > MAX_VALUE_CHARS:
        raise ValueInvalid(_("Enter at most %(limit)d characters.") % {"limit": MAX_VALUE_CHARS})
    if kind == OfficialKind.TELEGRAM:
        return _normalise_telegram(value)
    if kind == OfficialKind.DISCORD:
        return _normalise_discord(value)
    if kind == OfficialKind.EMAIL:
        return _normalise_email(value)
    if kind == OfficialKind.X:
        return _normalise_x(value)
    if kind == OfficialKind.PHONE:
        try:
            return normalise_phone(value)
        except ValueError:
            raise ValueInvalid(_("This is not a phone number.")) from None
    if kind == OfficialKind.WEBSITE:
        try:
            return normalise_host(value)
        except ValueError:
            raise ValueInvalid(_("This is not a website address.")) from None
    raise ValueInvalid(_("Choose what kind of channel to check."), field="kind")


def guess_kind(text: str) -> OfficialKind | None:
    """What the customer probably entered; None when it looks like nothing checkable. A bare
    ``@handle`` is taken for Telegram (where most impersonators are)."""
    value = refang((text or "").strip())
    if not value:
        return None
    lower = value.lower()
    if lower.startswith("tg://"):
        return OfficialKind.TELEGRAM
    if lower.startswith("mailto:") or (
        "://" not in value and not value.startswith("@") and _EMAIL.match(parseaddr(value)[1])
    ):
        return OfficialKind.EMAIL
    if "#" in value and re.fullmatch(r"@?[^\s@#]{2,32}#\d{4}", value):
        return OfficialKind.DISCORD
    if _PHONE_CHARS.match(value) and len(re.sub(r"\D", "", value)) >= 5:
        return OfficialKind.PHONE
    link = _link_parts(value)
    if link is not None:
        host = link[0]
        if host in TELEGRAM_HOSTS:
            return OfficialKind.TELEGRAM
        if host in DISCORD_HOSTS:
            return OfficialKind.DISCORD
        if host in X_HOSTS:
            return OfficialKind.X
        try:
            normalise_host(value)
        except ValueError:
            return None
        return OfficialKind.WEBSITE
    if _TELEGRAM_HANDLE.match(value.lstrip("@").lower()):
        return OfficialKind.TELEGRAM
    return None


def _is_bare_handle(text: str) -> bool:
    value = text.strip()
    return _link_parts(value) is None and bool(_TELEGRAM_HANDLE.match(value.lstrip("@").lower()))


# --- checking ----------------------------------------------------------------------------------


def check_channel(text: str, kind: str | None = None) -> VerificationResult:
    """Whether ``text`` is an official channel of the exchange; ``kind`` None guesses it (a
    bare handle is looked for among Telegram, X and Discord accounts). The message is in the
    active language. Raises :class:`ValueInvalid` for what cannot be checked."""
    if kind is not None and kind not in OfficialKind.values:
        raise ValueInvalid(_("Choose what kind of channel to check."), field="kind")
    guessed = OfficialKind(kind) if kind else guess_kind(text)
    if guessed is None:
        raise ValueInvalid()
    value = normalise(guessed, text)
    registry = list(OfficialChannel.objects.filter(is_active=True))
    if kind is None and guessed == OfficialKind.TELEGRAM and _is_bare_handle(text):
        for candidate in HANDLE_KINDS:
            if normalise_or_empty(candidate, text) in _values(registry, candidate):
                guessed, value = candidate, normalise(candidate, text)
                break
    exact = next((row for row in registry if row.kind == guessed and row.value == value), None)
    if exact is not None:
        return _result(guessed, value, VerificationStatus.OFFICIAL, exact.label, exact.value)
    if guessed == OfficialKind.WEBSITE:
        return _check_website(value, registry)
    if guessed == OfficialKind.EMAIL:
        return _check_email(value, registry)
    if guessed in HANDLE_KINDS:
        imitated = _imitated_handle(value, registry)
        if imitated is not None:
            return _result(guessed, value, VerificationStatus.LOOKALIKE, imitated, imitated)
    return _result(guessed, value, VerificationStatus.NOT_OFFICIAL, "")


def normalise_or_empty(kind: str, text: str) -> str:
    """:func:`normalise`, or "" when the text is not a value of that kind."""
    try:
        return normalise(kind, text)
    except ValueInvalid:
        return ""


def _values(registry: list[OfficialChannel], kind: str) -> set[str]:
    return {row.value for row in registry if row.kind == kind}


def _label_of(registry: list[OfficialChannel], host: str) -> str:
    """The description of the official website ``host``, else of an official address on it."""
    for row in registry:
        if row.kind == OfficialKind.WEBSITE and row.value == host:
            return row.label or row.value
    for row in registry:
        if row.kind == OfficialKind.EMAIL and row.value.rpartition("@")[2] == host and row.label:
            return row.label
    return host


def _check_website(host: str, registry: list[OfficialChannel]) -> VerificationResult:
    finding = check_host(host, official_domains())
    kind = OfficialKind.WEBSITE
    if finding.verdict == LinkVerdict.OFFICIAL:
        label = _label_of(registry, finding.matched)
        return _result(kind, host, VerificationStatus.OFFICIAL, label, finding.matched)
    if finding.verdict == LinkVerdict.PHISHING and finding.reason == LinkReason.BLACKLIST:
        return _result(kind, host, VerificationStatus.PHISHING, "", finding.matched)
    if finding.is_dangerous:
        label = _label_of(registry, finding.matched)
        return _result(kind, host, VerificationStatus.LOOKALIKE, label, finding.matched)
    return _result(kind, host, VerificationStatus.NOT_OFFICIAL, "")


def _check_email(address: str, registry: list[OfficialChannel]) -> VerificationResult:
    """An unregistered address on an official domain is the exchange's too; one on a
    phishing or look-alike domain is reported as such."""
    domain = address.rpartition("@")[2]
    website = _check_website(domain, registry)
    kind = OfficialKind.EMAIL
    if website.status == VerificationStatus.OFFICIAL:
        return _result(kind, address, VerificationStatus.OFFICIAL, website.label, website.matched)
    return _result(kind, address, website.status, website.label, website.matched)


def _imitated_handle(handle: str, registry: list[OfficialChannel]) -> str | None:
    """The official handle (or brand name) ``handle`` imitates, else None."""
    if handle.startswith(("invite:", "id:")):
        return None
    folded = fold(handle)
    for row in registry:
        if row.kind not in HANDLE_KINDS or row.value.startswith(("invite:", "id:")):
            continue
        official = fold(row.value)
        if folded == official:
            return row.value
        if len(official) >= MIN_HANDLE_CHARS and (
            edit_distance(folded, official, LOOKALIKE_DISTANCE) <= LOOKALIKE_DISTANCE
        ):
            return row.value
    brand = get_brand()
    if len(fold(brand.name)) >= 4 and fold(brand.name) in folded:
        return brand.display_name
    return None


def _result(
    kind: OfficialKind, value: str, status: VerificationStatus, label: str, matched: str = ""
) -> VerificationResult:
    return VerificationResult(
        kind=kind,
        value=value,
        status=status,
        label=label,
        matched=matched,
        message=result_message(kind, value, status, label),
    )


def result_message(kind: OfficialKind, value: str, status: VerificationStatus, label: str) -> str:
    """The answer in the active language."""
    names = {"value": value, "brand": get_brand().display_name, "kind": kind.label}
    if status == VerificationStatus.OFFICIAL:
        text = _("Yes: %(value)s is an official channel of %(brand)s (%(kind)s).") % names
        return f"{text} {label}" if label and label != value else text
    if status == VerificationStatus.PHISHING:
        return (
            _(
                "Danger: %(value)s is a known phishing site. Do not open it, and never enter "
                "your password, codes, seed phrase or private keys there."
            )
            % names
        )
    if status == VerificationStatus.LOOKALIKE:
        return _(
            "Fake: %(value)s is NOT an official channel of %(brand)s. It imitates "
            "%(official)s. Block it, and never send it money, passwords or codes."
        ) % {**names, "official": label}
    return (
        _(
            "No: %(value)s is not an official channel of %(brand)s. Do not trust what it "
            "tells you, and never send it money, passwords or codes."
        )
        % names
    )


# --- the bot's answer --------------------------------------------------------------------------

_QUESTION = re.compile(
    r"\b(?:official|legit|legitimate|real|really|fake|genuine|scam|scammer|yours|belongs?|trust|"
    r"is (?:this|that|it) you|your (?:site|website|email|e-mail|account|channel|group|number|"
    r"handle|domain|link|page|support|address|telegram|discord|twitter|x))\b|"
    r"官方|官网|真的|假的|真假|真伪|是不是你们|是你们|你们的|骗子|诈骗|正规|可信|靠谱",
    re.IGNORECASE,
)
_HANDLE_IN_TEXT = re.compile(r"(?<![\w@.])@([A-Za-z0-9_]{3,64})")
_PHONE_IN_TEXT = re.compile(r"(?<![\w+])\+?\d[\d\s\-()]{5,18}\d(?!\w)")
_PHONE_WORDS = re.compile(r"phone|number|call|电话|号码|来电|致电|打给", re.IGNORECASE)
_KIND_WORDS = (
    (re.compile(r"telegram|电报|飞机|\btg\b", re.IGNORECASE), OfficialKind.TELEGRAM),
    (re.compile(r"discord", re.IGNORECASE), OfficialKind.DISCORD),
    (re.compile(r"twitter|推特|\bx\b", re.IGNORECASE), OfficialKind.X),
)


def official_channel_reply(text: str, language: str) -> str | None:
    """The bot's answer to "is @kefu_help official?", "这个电报 @xxx 是官方的吗", "is
    support@kefu-help.com your email?" or "https://kefu-exchange.co is this your site?", in
    ``language`` (``zh`` or ``en``); None when the message is not such a question."""
    text = (text or "")[:2000]
    if not _QUESTION.search(text):
        return None
    candidate = _candidate_in(text)
    if candidate is None:
        return None
    value, kind = candidate
    with translation.override("zh-hans" if language.lower().startswith("zh") else "en"):
        try:
            result = check_channel(value, kind)
        except ValueInvalid:
            return None
        if result.is_official:
            return result.message
        more = _("You can check any account or link at %(url)s") % {"url": verify_url()}
        return f"{result.message} {more}"


def _candidate_in(text: str) -> tuple[str, str | None] | None:
    """The value a question is about, and its kind when the text says it."""
    email = _EMAIL_IN_TEXT.search(text)
    if email:
        return email.group(0), OfficialKind.EMAIL
    links = find_links(text)
    if links:
        return links[0].text, guess_kind(links[0].text)
    handle = _HANDLE_IN_TEXT.search(text)
    if handle:
        kind = next((kind for pattern, kind in _KIND_WORDS if pattern.search(text)), None)
        return handle.group(0), kind
    phone = _PHONE_IN_TEXT.search(text)
    if phone and _PHONE_WORDS.search(text):
        return phone.group(0), OfficialKind.PHONE
    return None


def verify_url() -> str:
    """The public page where customers check a channel."""
    return settings.SITE_URL + reverse("verification:verify")


# --- the registry ------------------------------------------------------------------------------


def official_channels() -> list[OfficialChannel]:
    """The active official channels, by kind and value: what the public page lists."""
    return list(OfficialChannel.objects.filter(is_active=True).order_by("kind", "value"))


def may_edit_registry(user: User) -> bool:
    """Supervisors and administrators maintain the registry; every agent may read it."""
    return user.is_active and user.sees_all_queues


def require_registry_editor(user: User) -> None:
    """Raises PermissionDenied for anyone who may not edit the registry."""
    if not may_edit_registry(user):
        raise PermissionDenied()


def access_official_channel(user: User, channel_id: int) -> OfficialChannel:
    """Load a registry entry the user may edit, or raise NotFound / PermissionDenied."""
    require_registry_editor(user)
    channel = OfficialChannel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise NotFound()
    return channel


def add_official_channel(
    actor: User, *, kind: str, value: str, label: str = "", ip_address: str | None = None
) -> OfficialChannel:
    """Register an official channel (an entry that was deactivated is active again, with the
    new label). The value is normalised; audited. Raises PermissionDenied, ValueInvalid."""
    require_registry_editor(actor)
    normalised = normalise(kind, value)
    label = label.strip()[:MAX_LABEL_CHARS]
    with transaction.atomic():
        channel, created = OfficialChannel.objects.update_or_create(
            kind=kind,
            value=normalised,
            defaults={"label": label, "is_active": True},
            create_defaults={"label": label, "is_active": True, "created_by": actor},
        )
        record_audit(
            actor,
            "official_channel.added" if created else "official_channel.reactivated",
            target_type="official_channel",
            target_id=channel.pk,
            after={"kind": kind, "value": normalised, "label": label},
            ip_address=ip_address,
        )
    return channel


def deactivate_official_channel(
    actor: User, channel_id: int, *, ip_address: str | None = None
) -> OfficialChannel:
    """Take a channel off the registry (kept, inactive, so its history stays); audited.
    Raises NotFound, PermissionDenied."""
    with transaction.atomic():
        channel = access_official_channel(actor, channel_id)
        updated = OfficialChannel.objects.filter(pk=channel.pk, is_active=True).update(
            is_active=False
        )
        channel.is_active = False
        if updated:
            record_audit(
                actor,
                "official_channel.deactivated",
                target_type="official_channel",
                target_id=channel.pk,
                before={"kind": channel.kind, "value": channel.value, "is_active": True},
                after={"is_active": False},
                ip_address=ip_address,
            )
    return channel
