"""API endpoints of the email channel (under /api/v1/channels/email/)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["channels"])
