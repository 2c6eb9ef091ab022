"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kefu.accounts.services import get_brand


def brand(request: HttpRequest) -> dict[str, Any]:
    """The exchange's brand, for headers, titles and colours."""
    return {"brand": get_brand()}
