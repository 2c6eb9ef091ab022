"""The help center's pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kefu.lib.taxonomy import QUEUE_NAMES


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The help center's front page: chat, a ticket, and what support can help with."""
    topics = [(queue, name) for queue, name in QUEUE_NAMES.items()]
    return render(request, "knowledge/home.html", {"topics": topics})
