"""Forms of the channels console: an account's name, state and its kind's settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.intake.connections import ConfigField, config_fields
from kefu.intake.models import ChannelAccount

MAX_SETTING_CHARS = 500


def _form_field(field: ConfigField, current: object) -> forms.Field:
    common: dict[str, Any] = {"label": field.label, "help_text": field.help_text}
    if field.kind == "secret":
        if current:
            common["help_text"] = _("Saved; leave empty to keep it.")
        return forms.CharField(
            required=field.required and not current,
            max_length=MAX_SETTING_CHARS,
            strip=True,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
            **common,
        )
    if field.kind == "flag":
        return forms.BooleanField(required=False, **common)
    if field.kind == "number":
        return forms.IntegerField(required=field.required, min_value=1, max_value=65535, **common)
    if field.kind == "choice":
        return forms.ChoiceField(choices=field.choices, required=True, **common)
    if field.kind == "url":
        return forms.URLField(
            required=field.required, max_length=MAX_SETTING_CHARS, assume_scheme="https", **common
        )
    return forms.CharField(required=field.required, max_length=MAX_SETTING_CHARS, **common)


class ChannelAccountForm(forms.ModelForm[ChannelAccount]):
    """The account's own fields, then one field per setting of its kind (``setting_<key>``)."""

    class Meta:
        model = ChannelAccount
        fields = ["name", "is_active", "silence_alert_minutes"]

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        config = self.instance.config or {}
        self.setting_keys: list[str] = []
        for field in config_fields(kind):
            current = config.get(field.key)
            form_field = _form_field(field, current)
            if field.kind == "flag":
                form_field.initial = str(current if current is not None else field.default) in (
                    "true",
                    "True",
                )
            elif field.kind != "secret":
                form_field.initial = current if current is not None else field.default
            self.fields[f"setting_{field.key}"] = form_field
            self.setting_keys.append(field.key)

    def settings(self) -> dict[str, Any]:
        """The cleaned settings by key (flags as booleans, numbers as ints)."""
        return {key: self.cleaned_data.get(f"setting_{key}") for key in self.setting_keys}
