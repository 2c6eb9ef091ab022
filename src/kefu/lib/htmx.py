"""One place that decides whether a request gets a whole page or only the fragment it targets."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def is_fragment_request(request: HttpRequest) -> bool:
    """Whether the request comes from htmx and wants a fragment, not a full page."""
    return bool(getattr(request, "htmx", False)) and not request.headers.get("HX-Boosted")


def render_page_or_fragment(
    request: HttpRequest,
    page_template: str,
    fragment_template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """Render the fragment for htmx requests and the full page otherwise."""
    template = fragment_template if is_fragment_request(request) else page_template
    return render(request, template, context, status=status)
