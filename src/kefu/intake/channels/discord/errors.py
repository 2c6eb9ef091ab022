"""Errors of the Discord channel: an interaction refused as a whole (nothing of it is
stored), and an application configured wrongly."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kefu.lib.errors import ErrorCode, KefuError, NotFound


class AccountNotFound(NotFound):
    """No active Discord account has this id."""

    default_message = _("No active Discord channel has this id.")


class SignatureInvalid(KefuError):
    """The Ed25519 signature headers are missing or do not match the body (Discord sends
    such requests on purpose to check that the endpoint verifies them)."""

    code = ErrorCode.AUTHENTICATION_REQUIRED
    status = 401
    default_message = _("The interaction signature is missing or does not match the body.")


class BodyTooLarge(KefuError):
    code = ErrorCode.INVALID_INPUT
    status = 413
    default_message = _("This request is too large.")


class InteractionInvalid(KefuError):
    """A signed body that is not an interaction Kefu understands."""

    code = ErrorCode.INVALID_INPUT
    status = 400
    default_message = _("This is not a valid Discord interaction.")


class ConfigurationInvalid(KefuError):
    """Settings of a Discord account that cannot work."""

    code = ErrorCode.INVALID_INPUT
    status = 400
    default_message = _("These Discord channel settings are not valid.")
