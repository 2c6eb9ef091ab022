"""Errors of risk: a whole request refused, and why one event of a batch was rejected."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from kefu.lib.errors import ErrorCode, KefuError


class IngestionDisabled(KefuError):
    """No shared secret is configured, so nobody can sign events."""

    code = ErrorCode.NOT_FOUND
    status = 404
    default_message = _(
        "Event ingestion is off: set KEFU_RISK_SECRET (or KEFU_RISK_SECRET_FILE) to turn it on."
    )


class SignatureInvalid(KefuError):
    """The X-Kefu-Signature header is missing, malformed, stale or does not match the body."""

    code = ErrorCode.AUTHENTICATION_REQUIRED
    status = 401
    default_message = _("The X-Kefu-Signature header is missing or does not match the body.")


class BatchTooLarge(KefuError):
    """A batch with too many events or too many bytes."""

    code = ErrorCode.INVALID_INPUT
    status = 413
    default_message = _("This batch is too large.")


class BatchInvalid(KefuError):
    """A body that is not JSON, or not an object with a list of events."""

    code = ErrorCode.INVALID_INPUT
    status = 400
    default_message = _('Send a JSON object of the form {"events": [...]}.')


class ScreeningListInvalid(KefuError):
    """A screening list file that cannot be read; the loaded list is left as it was."""

    code = ErrorCode.INVALID_INPUT
    status = 400
    default_message = _("This screening list cannot be loaded.")


class RejectionCode(StrEnum):
    """Why one event of a batch was not stored (the others still are)."""

    NOT_AN_OBJECT = "not_an_object"
    INVALID_FIELD = "invalid_field"
    MISSING_FIELD = "missing_field"
    IN_THE_FUTURE = "in_the_future"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    REPEATED_IN_BATCH = "repeated_in_batch"
    INVALID_JSON = "invalid_json"
