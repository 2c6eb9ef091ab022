"""Forms of the risk pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.risk.screening import MAX_ADDRESS_LENGTH


class ScreenForm(forms.Form):
    address = forms.CharField(label=_("Address"), max_length=MAX_ADDRESS_LENGTH)
    asset = forms.CharField(
        label=_("Asset (optional)"),
        max_length=20,
        required=False,
        help_text=_("Every list is checked whatever the asset."),
    )
