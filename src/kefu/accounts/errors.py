"""Errors of staff sign-in and access."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kefu.lib.errors import ErrorCode, KefuError


class TwoFactorInvalid(KefuError):
    """The one-time code is wrong, expired or was already used."""

    code = ErrorCode.TWO_FACTOR_INVALID
    status = 400
    default_message = _("That code is not valid. Check your authenticator app and try again.")


class AuthenticationRequired(KefuError):
    """No valid credentials came with the request."""

    code = ErrorCode.AUTHENTICATION_REQUIRED
    status = 401
    default_message = _("Sign in or send a valid API token.")
