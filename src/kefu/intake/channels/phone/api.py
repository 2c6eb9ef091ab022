"""API endpoints of the phone channel (under /api/v1/channels/phone/): the telephony system
reports calls, signed like every webhook Kefu receives (``X-Kefu-Signature``, see
kefu.lib.signing) with the account's ``secret`` (or, while it is rotated, ``previous_secret``)."""

from __future__ import annotations

import time

import pydantic
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja import Status as HttpStatus
from ninja.errors import ValidationError

from kefu.intake.channels.phone import services
from kefu.intake.channels.phone.errors import CallTooLarge, SignatureInvalid
from kefu.intake.channels.phone.schemas import CallIn, CallOut
from kefu.lib.http import limited_body
from kefu.lib.signing import HEADER, is_valid_signature

router = Router(tags=["channels"])


@router.post(
    "/{account_id}/calls",
    response={200: CallOut, 201: CallOut},
    summary="Record a phone call (signed with X-Kefu-Signature)",
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": CallIn.model_json_schema()}},
            "required": True,
        }
    },
)
def record_call(request: HttpRequest, account_id: int) -> HttpStatus[dict[str, object]]:
    """201 with the stored call; 200 for a redelivery of a call stored before."""
    account = services.phone_account(account_id)
    too_large = CallTooLarge(
        _("Send at most %(bytes)d bytes in one call record.") % {"bytes": services.MAX_BODY_BYTES}
    )
    body = limited_body(request, services.MAX_BODY_BYTES, too_large)
    secrets = [account.setting("secret"), account.setting("previous_secret")]
    if not is_valid_signature(secrets, request.headers.get(HEADER, ""), body, now=time.time()):
        raise SignatureInvalid()
    try:
        call = CallIn.model_validate_json(body)
    except pydantic.ValidationError as error:
        details = error.errors(include_url=False, include_context=False)
        raise ValidationError([dict(detail) for detail in details]) from None
    recorded = services.record_call(account, services.IncomingCall(**call.model_dump()))
    return HttpStatus(
        201 if recorded.created else 200,
        {
            "call": recorded.call.pk,
            "conversation": recorded.conversation.pk,
            "created": recorded.created,
        },
    )
