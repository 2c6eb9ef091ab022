"""Error pages and the handler that turns domain errors into pages."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kefu.lib.errors import KefuError


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/not_found.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/server_error.html", status=500)


def error_page(request: HttpRequest, error: KefuError) -> HttpResponse:
    """Render a domain error as a page with its status."""
    if error.status == 404:
        return not_found(request)
    return render(request, "errors/error.html", {"error": error}, status=error.status)


class DomainErrorMiddleware:
    """Turn a domain error raised by a page view into its error page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, KefuError):
            return error_page(request, exception)
        return None
