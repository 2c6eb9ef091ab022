"""Sign-in and profile forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PasswordForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=256)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=80)
