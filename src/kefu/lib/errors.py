"""The one base exception of Kefu's domain errors.

Each app's ``errors.py`` subclasses :class:`KefuError` with its own code, HTTP status and
translated message; the API and the pages turn any of them into a response in one place.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ErrorCode(StrEnum):
    """Stable machine-readable error codes shared by the API and the pages."""

    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    AUTHENTICATION_REQUIRED = "authentication_required"
    RATE_LIMITED = "rate_limited"
    CONFLICT = "conflict"
    CONVERSATION_CLOSED = "conversation_closed"
    ATTACHMENT_REJECTED = "attachment_rejected"
    MESSAGE_EMPTY = "message_empty"
    MESSAGE_TOO_LONG = "message_too_long"
    TWO_FACTOR_INVALID = "two_factor_invalid"
    MODEL_NOT_READY = "model_not_ready"
    UNKNOWN_INTENT = "unknown_intent"
    EXCHANGE_UNAVAILABLE = "exchange_unavailable"
    EXCHANGE_REFUSED = "exchange_refused"


class KefuError(Exception):
    """A domain error with a stable code, an HTTP status and a message a person can read."""

    code: ErrorCode = ErrorCode.INVALID_INPUT
    status: int = 400
    default_message: str | Promise = _("The request is not valid.")

    def __init__(self, message: str | Promise | None = None, *, field: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.field = field
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON body the API sends for this error."""
        body: dict[str, Any] = {"code": str(self.code), "message": str(self.message)}
        if self.field:
            body["field"] = self.field
        return body


class NotFound(KefuError):
    """The object does not exist, or the caller may not see it (the two are not told apart)."""

    code = ErrorCode.NOT_FOUND
    status = 404
    default_message = _("Not found.")


class PermissionDenied(KefuError):
    """The caller is known but may not do this."""

    code = ErrorCode.PERMISSION_DENIED
    status = 403
    default_message = _("You do not have permission to do this.")


class RateLimited(KefuError):
    """Too many requests from one client in a short time."""

    code = ErrorCode.RATE_LIMITED
    status = 429
    default_message = _("Too many requests. Please wait a minute and try again.")
