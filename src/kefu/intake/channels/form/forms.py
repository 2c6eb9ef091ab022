"""The public ticket form and the reply form of the tracking page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from kefu.lib.uploads import ALLOWED_TYPES


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked again by ``kefu.lib.uploads``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={
                    "accept": ",".join(ALLOWED_TYPES),
                }
            ),
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def attachments_help() -> str:
    return str(
        _("Up to %(count)d files (images, PDF or text), %(size)d MB each.")
        % {
            "count": settings.ATTACHMENT_MAX_FILES,
            "size": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
        }
    )


class TicketForm(forms.Form):
    email = forms.EmailField(label=_("Your email"), max_length=254)
    name = forms.CharField(label=_("Your name"), max_length=120, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("Never include your password, seed phrase, private key or 2FA codes."),
    )
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachments_help()


class TicketReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachments_help()
