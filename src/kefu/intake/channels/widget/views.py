"""The chat widget: the loader script a site embeds, and the chat frame it opens."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

LOADER_FILE = Path(__file__).resolve().parents[2] / "static" / "intake" / "widget-loader.js"


@cache
def _loader_source() -> str:
    return LOADER_FILE.read_text(encoding="utf-8")


@require_GET
def widget_loader(request: HttpRequest) -> HttpResponse:
    """``/widget.js``: sites embed it with one script tag."""
    response = HttpResponse(_loader_source(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _labels() -> dict[str, str]:
    """Strings the widget's script shows, in the page's language."""
    return {
        "you": _("You"),
        "support": _("Support"),
        "assistant": _("Assistant"),
        "typing": _("%(name)s is typing…"),
        "sending": _("Sending…"),
        "failed": _("Not sent yet. It will be sent when you are back online."),
        "resolved": _(
            "This conversation was marked as resolved. Write again if you need more help."
        ),
        "closed": _("This chat has ended. Write a new message to start another."),
        "conversation": _("Conversation #%(number)s"),
        "error": _("Something went wrong. Please try again."),
    }


@require_GET
@xframe_options_exempt
def widget_frame(request: HttpRequest) -> HttpResponse:
    """The chat itself, inside an iframe on the exchange's site."""
    language = request.GET.get("lang", "")
    if language.lower().startswith("zh"):
        language = "zh-hans"
    elif language.lower().startswith("en"):
        language = "en"
    else:
        language = translation.get_language() or "en"
    with translation.override(language):
        response = render(request, "intake/widget_frame.html", {"labels": _labels()})
    # Any site may frame the widget unless the exchange lists its own origins.
    ancestors = (
        ["'self'", *settings.WIDGET_ALLOWED_ORIGINS] if settings.WIDGET_ALLOWED_ORIGINS else ["*"]
    )
    setattr(response, "_csp_replace", {"frame-ancestors": ancestors})  # noqa: B010 - django-csp's hook
    return response
