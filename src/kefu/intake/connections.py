"""Connecting channel accounts: what each kind needs to know, saving it (secrets write-only and
audited without their values), checking an account now, and retrying what did not go out."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kefu.accounts.events import record_audit
from kefu.accounts.models import User
from kefu.intake import outbound
from kefu.intake.adapters import adapter_for
from kefu.intake.models import ChannelAccount, ChannelKind, DeliveryStatus, OutboundDelivery
from kefu.lib.errors import KefuError

logger = logging.getLogger(__name__)
MIN_SECRET_CHARS = 16


@dataclass(frozen=True)
class ConfigField:
    """One setting of a kind of account. ``kind``: text, secret, number, flag, choice or url.
    A secret is never shown again once saved; leaving it empty keeps the saved one."""

    key: str
    label: str | Promise
    kind: str = "text"
    required: bool = False
    choices: tuple[tuple[str, str | Promise], ...] = ()
    help_text: str | Promise = ""
    default: str = ""


CONFIG_FIELDS: dict[str, tuple[ConfigField, ...]] = {
    ChannelKind.EMAIL: (
        ConfigField("address", _("Support address (From)"), required=True),
        ConfigField("imap_host", _("IMAP server")),
        ConfigField("imap_port", _("IMAP port"), "number", default="993"),
        ConfigField("imap_ssl", _("IMAP over TLS"), "flag", default="true"),
        ConfigField("imap_username", _("IMAP user name")),
        ConfigField("imap_password", _("IMAP password"), "secret"),
        ConfigField("imap_folder", _("IMAP folder"), default="INBOX"),
        ConfigField("smtp_host", _("SMTP server"), required=True),
        ConfigField("smtp_port", _("SMTP port"), "number", default="587"),
        ConfigField(
            "smtp_security",
            _("SMTP security"),
            "choice",
            choices=(("starttls", "STARTTLS"), ("ssl", "TLS"), ("none", _("none"))),
            default="starttls",
        ),
        ConfigField("smtp_username", _("SMTP user name")),
        ConfigField("smtp_password", _("SMTP password"), "secret"),
        ConfigField("imap_mark_seen", _("Mark fetched mail as read"), "flag", default="true"),
        ConfigField(
            "plus_addressing",
            _("Replies carry a per-ticket Reply-To (support+ticket@…)"),
            "flag",
            default="false",
        ),
        ConfigField("timeout_seconds", _("Timeout (seconds)"), "number", default="30"),
    ),
    ChannelKind.TELEGRAM: (
        ConfigField("bot_token", _("Bot token (from @BotFather)"), "secret", required=True),
        ConfigField("bot_username", _("Bot user name")),
        ConfigField(
            "mode",
            _("How updates arrive"),
            "choice",
            choices=(("polling", _("Long polling")), ("webhook", _("Webhook (needs HTTPS)"))),
            default="polling",
            help_text=_(
                "A webhook is set at Kefu's public address (KEFU_SITE_URL), which must be "
                "https://; long polling works anywhere."
            ),
        ),
        ConfigField("api_url", _("Bot API address"), "url", default="https://api.telegram.org"),
    ),
    ChannelKind.DISCORD: (
        ConfigField("application_id", _("Application id"), required=True),
        ConfigField("public_key", _("Public key"), required=True),
        ConfigField("bot_token", _("Bot token"), "secret", required=True),
        ConfigField("api_url", _("API address"), "url", default="https://discord.com/api/v10"),
    ),
    ChannelKind.WEBHOOK: (
        ConfigField("secret", _("Signing secret"), "secret", required=True),
        ConfigField(
            "previous_secret",
            _("Previous signing secret (accepted while you rotate)"),
            "secret",
        ),
        ConfigField("outbound_url", _("Replies are sent to"), "url"),
        ConfigField(
            "trust_user_id",
            _("The sender is the exchange's own app (trust its user ids)"),
            "flag",
            default="false",
        ),
    ),
    ChannelKind.PHONE: (
        ConfigField("secret", _("Signing secret"), "secret", required=True),
        ConfigField(
            "previous_secret",
            _("Previous signing secret (accepted while you rotate)"),
            "secret",
        ),
        ConfigField(
            "reuse_days",
            _("A call joins the customer's conversation active in the last (days)"),
            "number",
            default="7",
        ),
        ConfigField(
            "trust_user_id",
            _("Trust the exchange user ids the telephony system sends"),
            "flag",
            default="false",
        ),
    ),
}


def config_fields(kind: str) -> tuple[ConfigField, ...]:
    return CONFIG_FIELDS.get(kind, ())


def public_config(account: ChannelAccount) -> dict[str, Any]:
    """The account's settings without its secrets (for the audit log and the page)."""
    secrets = {field.key for field in config_fields(account.kind) if field.kind == "secret"}
    config = account.config or {}
    return {
        key: ("••••" if key in secrets and value else value)
        for key, value in config.items()
        if key in secrets or not key.endswith(("_secret", "_password", "_token"))
    }


def save_channel_account(
    actor: User,
    account: ChannelAccount,
    settings: dict[str, Any],
    *,
    ip_address: str | None = None,
) -> ChannelAccount:
    """Store an account (new or edited) with its settings; empty secrets keep the saved ones.
    Audited, with secrets masked."""
    creating = account.pk is None
    saved = None if creating else ChannelAccount.objects.get(pk=account.pk)
    before = {} if saved is None else public_config(saved)
    settings = check_settings(account.kind, settings)
    config = dict(account.config or {})
    for field in config_fields(account.kind):
        if field.key not in settings:
            continue
        value = settings[field.key]
        if field.kind == "secret" and not value:
            continue
        config[field.key] = value
    account.config = config
    with transaction.atomic():
        account.save()
        record_audit(
            actor,
            "channel.created" if creating else "channel.updated",
            target_type="channel_account",
            target_id=account.pk,
            before=before or None,
            after={
                "name": account.name,
                "kind": account.kind,
                "active": account.is_active,
                **public_config(account),
            },
            ip_address=ip_address,
        )
    return account


def check_settings(kind: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Check a kind's settings before they are saved; raises a KefuError naming the field
    (a reply address that is not allowed)."""
    for key in ("secret", "previous_secret"):
        value = settings.get(key)
        if value and len(str(value)) < MIN_SECRET_CHARS:
            raise KefuError(
                _("A signing secret needs at least %(count)d characters.")
                % {"count": MIN_SECRET_CHARS},
                field=key,
            )
    if kind == ChannelKind.DISCORD:
        from kefu.intake.channels.discord.services import check_settings as check_discord

        check_discord(
            str(settings.get("application_id") or ""),
            str(settings.get("public_key") or ""),
            # A token left empty keeps the saved one.
            str(settings.get("bot_token") or "kept"),
            str(settings.get("api_url") or ""),
        )
    if kind == ChannelKind.WEBHOOK and settings.get("outbound_url"):
        from kefu.intake.channels.webhook.services import check_outbound_url

        settings = {**settings, "outbound_url": check_outbound_url(settings["outbound_url"])}
    return settings


def set_up_channel(account: ChannelAccount, before: dict[str, Any]) -> str:
    """After an account was saved, tell its service what it needs to know (Telegram: where
    updates go; Discord: the /support command). Returns what went wrong, in words, or ""."""
    if not account.is_active:
        return ""
    try:
        if account.kind == ChannelKind.TELEGRAM:
            _set_up_telegram(account, before)
        elif account.kind == ChannelKind.DISCORD:
            from kefu.intake.channels.discord.services import register_commands

            register_commands(account)
    except Exception as error:  # the service's own errors; the account stays saved
        logger.warning("setting up channel %s failed", account.pk, exc_info=True)
        return str(getattr(error, "message", error))
    return ""


def _set_up_telegram(account: ChannelAccount, before: dict[str, Any]) -> None:
    from kefu.intake.channels.telegram import services as telegram

    mode = account.setting("mode", telegram.MODE_POLLING)
    changed = any(
        before.get(key) != account.config.get(key) for key in ("mode", "bot_token", "api_url")
    )
    if mode == telegram.MODE_WEBHOOK and (changed or not account.setting("webhook_secret")):
        telegram.connect_webhook(account, django_settings.SITE_URL)
    elif mode != telegram.MODE_WEBHOOK and (changed or account.setting("webhook_secret")):
        telegram.switch_to_polling(account)


@dataclass(frozen=True)
class CheckResult:
    fetched: int
    error: str = ""


def check_now(account: ChannelAccount) -> CheckResult:
    """Poll an account at once (a mailbox, a bot in polling mode) and say what happened."""
    from kefu.intake.schedule import poll_due

    adapter = adapter_for(account.kind)
    if not adapter.polls:
        return CheckResult(0)
    fetched = poll_due(timezone.now(), force=True, only=account.pk).get(account.pk)
    account.refresh_from_db()
    if fetched is None:
        return CheckResult(0, account.last_error)
    return CheckResult(fetched)


def retry_delivery(actor: User, delivery: OutboundDelivery) -> None:
    """Send a failed or waiting reply again now, audited."""
    with transaction.atomic():
        outbound.retry_now(delivery)
        record_audit(
            actor,
            "channel.delivery_retried",
            target_type="message",
            target_id=delivery.message_id,
            before={"status": delivery.status, "error": delivery.last_error},
        )


def failed_deliveries(account: ChannelAccount, *, limit: int = 50) -> list[OutboundDelivery]:
    return list(
        OutboundDelivery.objects.filter(account=account)
        .exclude(status=DeliveryStatus.SENT)
        .select_related("message__conversation")
        .order_by("-created_at")[:limit]
    )
