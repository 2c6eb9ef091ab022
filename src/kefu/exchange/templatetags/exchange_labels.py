"""``{{ code|exchange_label }}``: the back office's codes (statuses, reasons) in words."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

LABELS = {
    # verification
    "none": _("not started"),
    "pending": _("pending"),
    "approved": _("approved"),
    "rejected": _("rejected"),
    "document_blurry": _("blurry document"),
    "document_expired": _("expired document"),
    "name_mismatch": _("name does not match"),
    "selfie_mismatch": _("selfie does not match"),
    "unsupported_country": _("country not supported"),
    # locks
    "password_attempts": _("too many password attempts"),
    "self_frozen": _("frozen by the customer"),
    "risk_review": _("risk review"),
    "compliance_review": _("compliance review"),
    "two_factor_reset": _("24 h after a 2FA reset"),
    # deposits
    "confirming": _("confirming"),
    "credited": _("credited"),
    "wrong_network": _("wrong network"),
    "missing_memo": _("missing memo"),
    "unsupported_token": _("unlisted token"),
    "under_review": _("under review"),
    # withdrawals
    "pending_review": _("in review"),
    "processing": _("processing"),
    "broadcast": _("sent to the network"),
    "completed": _("completed"),
    "failed": _("failed"),
    "cancelled": _("cancelled"),
    "held": _("held"),
    "insufficient_balance": _("insufficient balance"),
    "address_invalid": _("invalid address"),
    "network_maintenance": _("network maintenance"),
    "memo_missing": _("memo missing"),
    "new_address_24h": _("new address, 24 h wait"),
    "large_amount_review": _("large amount review"),
    "support_hold": _("held by support"),
    "by_customer": _("by the customer"),
    "security_timeout": _("not confirmed in time"),
    # 2FA methods
    "totp": _("authenticator app"),
    "sms": _("SMS"),
    "email": _("email"),
}


@register.filter
def exchange_label(code: object) -> str:
    """The words for a back-office code; an unknown code is shown as it is."""
    return str(LABELS.get(str(code), code))
