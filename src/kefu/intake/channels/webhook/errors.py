"""Errors of the webhook channel: a delivery from a partner refused as a whole (nothing of it
is stored), and a partner account configured wrongly."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kefu.lib.errors import ErrorCode, KefuError, NotFound


class AccountNotFound(NotFound):
    """No active webhook account has this id."""

    default_message = _("No active webhook channel has this id.")


class SignatureInvalid(KefuError):
    """The X-Kefu-Signature header is missing, malformed, stale or does not match the body."""

    code = ErrorCode.AUTHENTICATION_REQUIRED
    status = 401
    default_message = _("The X-Kefu-Signature header is missing or does not match the body.")


class BodyTooLarge(KefuError):
    """A request body over the size limit."""

    code = ErrorCode.INVALID_INPUT
    status = 413
    default_message = _("This request is too large.")


class MessageInvalid(KefuError):
    """A body that is not the JSON message object the endpoint documents."""

    code = ErrorCode.INVALID_INPUT
    status = 400
    default_message = _("Send a JSON message object as documented in the API schema.")


class ConfigurationInvalid(KefuError):
    """Settings of a webhook account that cannot work (no secret, an unsafe outbound URL)."""

    code = ErrorCode.INVALID_INPUT
    status = 400
    default_message = _("These webhook channel settings are not valid.")
