"""Errors of the Telegram channel: a webhook call refused, and a bot that cannot be set up."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kefu.lib.errors import ErrorCode, KefuError


class WebhookSecretMissing(KefuError):
    """The call has no X-Telegram-Bot-Api-Secret-Token header."""

    code = ErrorCode.AUTHENTICATION_REQUIRED
    status = 401
    default_message = _("The X-Telegram-Bot-Api-Secret-Token header is missing.")


class WebhookSecretInvalid(KefuError):
    """The secret token does not match the one set with the webhook (or none was set)."""

    code = ErrorCode.PERMISSION_DENIED
    status = 403
    default_message = _("The X-Telegram-Bot-Api-Secret-Token header does not match.")


class UpdateTooLarge(KefuError):
    code = ErrorCode.INVALID_INPUT
    status = 413
    default_message = _("This update is too large.")


class UpdateInvalid(KefuError):
    """A body that is not JSON, or not a Telegram update (an object with an update_id)."""

    code = ErrorCode.INVALID_INPUT
    status = 400
    default_message = _("Send a Telegram update: a JSON object with an integer update_id.")


class BotSetupFailed(KefuError):
    """Telegram refused or could not be asked (a wrong token, an unreachable API)."""

    code = ErrorCode.INVALID_INPUT
    status = 400
    default_message = _("Telegram did not accept the bot's settings.")
