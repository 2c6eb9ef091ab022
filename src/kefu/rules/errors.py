"""Errors of automation rules."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kefu.lib.errors import ErrorCode, KefuError


class RuleInvalid(KefuError):
    """A rule whose name, conditions or actions break the rules of :mod:`kefu.rules.spec`."""

    code = ErrorCode.INVALID_INPUT
    status = 400
    default_message = _("The rule is not valid.")
