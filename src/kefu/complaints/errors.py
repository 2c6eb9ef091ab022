"""Errors of complaint cases."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kefu.lib.errors import ErrorCode, KefuError


class CaseTextInvalid(KefuError):
    """A reason, note, resolution or comment that is empty or too long."""

    code = ErrorCode.INVALID_INPUT
    status = 400
    default_message = _("This text is empty or too long.")


class CaseChangeNotAllowed(KefuError):
    """The case is not in a state that allows this (closed, or not waiting for the customer)."""

    code = ErrorCode.CONFLICT
    status = 409
    default_message = _("This case cannot be changed that way now.")


class NoCaseOwner(KefuError):
    """Nobody above the original agent is there to own the case: add a supervisor or admin."""

    code = ErrorCode.CONFLICT
    status = 409
    default_message = _("There is no supervisor or administrator to own this complaint.")


class InvalidCaseOwner(KefuError):
    """A case is owned by an active supervisor or administrator."""

    code = ErrorCode.INVALID_INPUT
    status = 400
    default_message = _("Choose an active supervisor or administrator.")
