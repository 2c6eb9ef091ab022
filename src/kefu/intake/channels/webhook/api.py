"""API endpoints of the webhook channel (under /api/v1/channels/webhook/)."""

from __future__ import annotations

import time

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from kefu.intake.channels.webhook import services
from kefu.intake.channels.webhook.errors import BodyTooLarge
from kefu.intake.channels.webhook.schemas import (
    ErrorOut,
    ReplyOut,
    WebhookMessageIn,
    WebhookMessageOut,
    inline_schema,
)
from kefu.lib.http import limited_body
from kefu.lib.signing import HEADER

router = Router(tags=["channels"])

DESCRIPTION = """
Send one customer message from a partner system (the exchange's in-app chat, a relay for
X direct messages, any chat Kefu has no adapter for) to the webhook channel `account_id`.

**Signature.** Sign the exact request body with the account's `secret`:
`X-Kefu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`. A timestamp
more than five minutes away from Kefu's clock is refused. While a secret is rotated, send one
`v1=` per secret (Kefu also accepts the account's `previous_secret`). A missing or wrong
signature is answered `401` and nothing is stored.

**Idempotency.** `message_id` is your id of the message: sending it again (a retry after a
timeout) stores nothing and answers `200` with the first result and `"created": false`.
Messages with the same `thread_id` form one conversation; after it is resolved or closed, the
thread's next message opens a new conversation (replies still go to the same thread).
The body is at most 1 MB (`413` above); attachments are inline base64 (images, PDF, plain text;
files of other types are dropped and named in a note for the agent). `user_id` (the exchange's
user id) and `sender.email` identify the customer only on an account configured with
`trust_user_id`: otherwise the customer is the sender id on this account.

**Replies.** Each public reply in the conversation (agent, assistant or system) is sent with
`POST` to the account's `outbound_url` as JSON (the `reply` callback below), signed the same way,
with `Idempotency-Key` and `X-Kefu-Delivery` headers carrying a delivery id that is the same on
every retry: drop a delivery you have already processed. Answer `2xx` (optionally
`{"id": "<your id>"}`) within 10 seconds. A `5xx`, `408`, `425`, `429`, a timeout or a
connection error is retried with exponential back-off (30 s, 1 min, 2 min, ... up to an hour
between attempts, 12 attempts); any other answer fails the delivery at once, and the agent
sees it on the conversation.
"""


def _reply_callback() -> dict[str, object]:
    return {
        "reply": {
            "{outbound_url}": {
                "post": {
                    "summary": "A reply to the customer (sent by Kefu to the partner)",
                    "parameters": [
                        {
                            "name": name,
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                        for name in (HEADER, "Idempotency-Key", "X-Kefu-Delivery")
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": inline_schema(ReplyOut)}},
                    },
                    "responses": {
                        "2XX": {"description": 'Taken; optionally `{"id": "..."}`.'},
                        "5XX": {"description": "Retried with back-off (also 408, 425, 429)."},
                        "4XX": {"description": "Refused: the delivery fails at once."},
                    },
                }
            }
        }
    }


@router.post(
    "/{account_id}/messages",
    response={200: WebhookMessageOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 413: ErrorOut},
    summary="Receive a customer message from a partner system (signed with X-Kefu-Signature)",
    description=DESCRIPTION,
    openapi_extra={
        "parameters": [
            {
                "name": HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string", "example": "t=1767225600,v1=5257a869..."},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(WebhookMessageIn)}},
        },
        "callbacks": _reply_callback(),
    },
)
def receive_message(request: HttpRequest, account_id: int) -> services.ReceivedMessage:
    too_large = BodyTooLarge(
        _("Send at most %(bytes)d bytes in one request.") % {"bytes": services.MAX_BODY_BYTES}
    )
    body = limited_body(request, services.MAX_BODY_BYTES, too_large)
    return services.receive_message(
        account_id, signature_header=request.headers.get(HEADER, ""), body=body, now=time.time()
    )
