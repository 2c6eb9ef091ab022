"""Errors of the language-model registry and of intent corrections."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kefu.lib.errors import ErrorCode, KefuError


class ModelNotReady(KefuError):
    """A model cannot be made live (unknown intents, not evaluated, worse than the live one)."""

    code = ErrorCode.MODEL_NOT_READY
    status = 409
    default_message = _("This model cannot be made live.")


class UnknownIntent(KefuError):
    code = ErrorCode.UNKNOWN_INTENT
    status = 400
    default_message = _("Unknown intent.")
