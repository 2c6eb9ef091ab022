"""Errors of the phone channel."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kefu.lib.errors import ErrorCode, KefuError


class SignatureInvalid(KefuError):
    """The X-Kefu-Signature header is missing, malformed, stale or matches neither the
    account's ``secret`` nor its ``previous_secret``."""

    code = ErrorCode.AUTHENTICATION_REQUIRED
    status = 401
    default_message = _("The X-Kefu-Signature header is missing or does not match the body.")


class CallTooLarge(KefuError):
    """A call record whose body is larger than Kefu accepts."""

    code = ErrorCode.INVALID_INPUT
    status = 413
    default_message = _("This call record is too large.")


class CallInvalid(KefuError):
    """A call an agent logs with a value Kefu cannot store (a number, a recording link)."""

    code = ErrorCode.INVALID_INPUT
    status = 422
    default_message = _("This call cannot be logged.")
