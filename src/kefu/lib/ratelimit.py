"""Rate limits for public endpoints, on top of django-ratelimit's cache counters.

Limits are per client address and set in ``settings.RATE_LIMITS``; counters live in the cache,
so they are shared across processes when Redis is configured.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit import ALL  # type: ignore[import-untyped]
from django_ratelimit.core import is_ratelimited  # type: ignore[import-untyped]

from kefu.lib.errors import RateLimited


def rate(name: str) -> str:
    """Return the configured rate (such as ``10/m``) for the limit called ``name``."""
    return str(settings.RATE_LIMITS[name])


def client_address(request: HttpRequest) -> str:
    """The address a limit counts against: REMOTE_ADDR (a trusted proxy must set it)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def check_rate_limit(request: HttpRequest, name: str, *, key: str | None = None) -> None:
    """Count one request against limit ``name``; raise :class:`RateLimited` when over it.

    ``key`` counts against something other than the client address (a username, a token).
    """
    if not settings.RATELIMIT_ENABLE:
        return
    group = f"kefu.{name}"
    limited = is_ratelimited(
        request,
        group=group,
        key=(lambda _group, _request: key) if key is not None else "ip",
        rate=rate(name),
        method=ALL,
        increment=True,
    )
    if limited:
        raise RateLimited()


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The page shown when a django-ratelimit decorator blocks a request."""
    return render(request, "errors/rate_limited.html", status=429)
