"""API endpoints of the discord channel (under /api/v1/channels/discord/)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from kefu.intake.channels.discord import services
from kefu.intake.channels.discord.errors import BodyTooLarge
from kefu.lib.http import limited_body

router = Router(tags=["channels"])

DESCRIPTION = """
Discord's interactions endpoint for the application connected as Discord channel
`account_id`: set `https://<kefu>/api/v1/channels/discord/<account_id>/interactions` as the
application's *Interactions Endpoint URL*. Requests must carry Discord's Ed25519 signature
(`X-Signature-Ed25519`, `X-Signature-Timestamp`) made with the application's key; others are
answered `401`. `PING` is answered with `PONG`; the `/support` command stores the user's
message and answers with a message only they see. Replies are sent as direct messages.
"""


@router.post(
    "/{account_id}/interactions",
    response=dict[str, Any],
    summary="Discord interactions (signed by Discord with Ed25519)",
    description=DESCRIPTION,
)
def interactions(request: HttpRequest, account_id: int) -> dict[str, Any]:
    return services.handle_interaction(
        account_id,
        signature=request.headers.get("X-Signature-Ed25519", ""),
        timestamp=request.headers.get("X-Signature-Timestamp", ""),
        body=limited_body(request, services.MAX_BODY_BYTES, BodyTooLarge()),
    )
