"""The REST API under ``/api/v1/`` (OpenAPI schema at ``/api/v1/openapi.json``).

Errors always come back as ``{"code": ..., "message": ...}`` with a matching HTTP status.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kefu.conversations.api import public_router, staff_router
from kefu.intake.api import router as intake_router
from kefu.intake.channels.discord.api import router as discord_router
from kefu.intake.channels.email.api import router as email_router
from kefu.intake.channels.phone.api import router as phone_router
from kefu.intake.channels.telegram.api import router as telegram_router
from kefu.intake.channels.webhook.api import router as webhook_router
from kefu.intake.verification_api import router as verification_router
from kefu.knowledge.api import router as knowledge_router
from kefu.lib.errors import ErrorCode, KefuError
from kefu.risk.api import ingestion_router as risk_ingestion_router
from kefu.risk.api import staff_router as risk_staff_router
from kefu.routing.api import router as routing_router

api = NinjaAPI(
    title="Kefu API",
    version="1",
    description=(
        "Public endpoints for customers (tickets, messages, the chat widget) and staff "
        "endpoints authenticated with `Authorization: Bearer <token>` (create a token on your "
        "console profile page)."
    ),
    urls_namespace="api",
)


@api.exception_handler(KefuError)
def domain_error(request: HttpRequest, error: KefuError) -> HttpResponse:
    return api.create_response(request, error.as_dict(), status=error.status)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    first = error.errors[0] if error.errors else {}
    location = ".".join(
        str(part) for part in first.get("loc", ()) if part not in ("body", "payload")
    )
    message = str(first.get("msg", _("The request is not valid.")))
    body = {
        "code": str(ErrorCode.INVALID_INPUT),
        "message": f"{location}: {message}" if location else message,
        "field": location,
    }
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    body = {
        "code": str(ErrorCode.AUTHENTICATION_REQUIRED),
        "message": _("Send a valid staff API token: Authorization: Bearer <token>."),
    }
    return api.create_response(request, body, status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    code = ErrorCode.NOT_FOUND if error.status_code == 404 else ErrorCode.INVALID_INPUT
    return api.create_response(
        request, {"code": str(code), "message": str(error)}, status=error.status_code
    )


api.add_router("", intake_router)
api.add_router("", public_router)
api.add_router("", knowledge_router)
api.add_router("/staff", staff_router)
api.add_router("/staff", routing_router)
api.add_router("", risk_ingestion_router)
api.add_router("/staff", risk_staff_router)
api.add_router("/channels/email", email_router)
api.add_router("/channels/telegram", telegram_router)
api.add_router("/channels/discord", discord_router)
api.add_router("/channels/webhook", webhook_router)
api.add_router("/channels/phone", phone_router)
api.add_router("", verification_router)
