"""API endpoints of the telegram channel (under /api/v1/channels/telegram/)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from kefu.intake.channels.telegram import adapter
from kefu.intake.channels.telegram.errors import UpdateTooLarge
from kefu.lib.http import limited_body

router = Router(tags=["channels"])
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header's name


class WebhookOut(Schema):
    ok: bool
    stored: bool


@router.post(
    "/{account_id}/webhook",
    response=WebhookOut,
    summary="Receive a Telegram update (Bot API webhook)",
    description=(
        "Telegram calls this with each update of the bot of Telegram account `account_id`, "
        "once `kefu` has set the webhook. The `X-Telegram-Bot-Api-Secret-Token` header must "
        "carry the secret token set with the webhook (401 when missing, 403 when wrong; "
        "nothing is stored). The body is a Bot API `Update` (at most 256 KiB; 413 above, 400 "
        "when it is not one). An update is stored once however often it is delivered; "
        "`stored` says whether this call stored a customer message."
    ),
)
def webhook(request: HttpRequest, account_id: int) -> WebhookOut:
    body = limited_body(request, adapter.MAX_UPDATE_BYTES, UpdateTooLarge())
    result = adapter.receive_webhook(account_id, request.headers.get(SECRET_HEADER, ""), body)
    return WebhookOut(ok=True, stored=bool(result is not None and result.created))
