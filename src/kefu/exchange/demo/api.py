"""The demo exchange speaking the REST contract (``kefu.exchange.contract``).

Served under ``/demo-exchange/v1/`` when ``KEFU_DEMO_EXCHANGE_SECRET`` is set: the reference
implementation an exchange can compare its own with, and the server the HTTP adapter is tested
against. Every request must carry a valid signature.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Path, Query, Schema
from ninja.errors import ValidationError
from pydantic import Field

from kefu.exchange import contract
from kefu.exchange.adapter import ExchangeNotFound, ExchangeRefused, LockReason
from kefu.exchange.demo.adapter import DemoExchange

exchange_api = NinjaAPI(
    title="Exchange back-office contract",
    version="1",
    description=(
        "What an exchange implements so Kefu can look up its customers, deposits and "
        "withdrawals and act on accounts. Sign every request: see `docs/exchange.md`."
    ),
    urls_namespace="demo_exchange",
    docs_url=None,
)
_exchange = DemoExchange()


class _Unauthorized(Exception):
    pass


def _check_signature(request: HttpRequest) -> None:
    secret = str(getattr(settings, "DEMO_EXCHANGE_SECRET", "") or "")
    if not contract.signature_valid(
        secret,
        request.headers.get(contract.TIMESTAMP_HEADER, ""),
        request.headers.get(contract.SIGNATURE_HEADER, ""),
        request.method or "GET",
        request.get_full_path(),
        request.body,
    ):
        raise _Unauthorized()


def _error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    return exchange_api.create_response(request, {"code": code, "message": message}, status=status)


@exchange_api.exception_handler(_Unauthorized)
def unauthorized(request: HttpRequest, error: _Unauthorized) -> HttpResponse:
    return _error(request, 401, "unauthorized", "missing or invalid signature")


@exchange_api.exception_handler(ExchangeNotFound)
def not_found(request: HttpRequest, error: ExchangeNotFound) -> HttpResponse:
    return _error(request, 404, "not_found", "no such record")


@exchange_api.exception_handler(ExchangeRefused)
def refused(request: HttpRequest, error: ExchangeRefused) -> HttpResponse:
    return _error(request, 409, "refused", str(error.message))


@exchange_api.exception_handler(ValidationError)
def invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    return _error(request, 422, "invalid_input", "the request is not valid")


def _plain(value: Any) -> dict[str, Any]:
    return dict(dataclasses.asdict(value))


class UserPath(Schema):
    user_id: str = Field(pattern=contract.USER_ID_PATTERN)


class RecordPath(UserPath):
    withdrawal_id: str = Field(pattern=contract.RECORD_ID_PATTERN)


class RecordQuery(Schema):
    coin: str = Field("", max_length=10)
    txid: str = Field("", max_length=128)
    limit: int = Field(20, ge=1, le=100)


ERRORS = {401: contract.ErrorOut, 404: contract.ErrorOut, 409: contract.ErrorOut}


@exchange_api.get("/v1/networks", response={200: contract.NetworksOut, **ERRORS})
def networks(request: HttpRequest) -> dict[str, Any]:
    _check_signature(request)
    return {
        "networks": [_plain(row) for row in _exchange.networks()],
        "unsupported_tokens": _exchange.unsupported_tokens(),
    }


@exchange_api.get("/v1/users/{user_id}", response={200: contract.ProfileOut, **ERRORS})
def profile(request: HttpRequest, path: Path[UserPath]) -> dict[str, Any]:
    _check_signature(request)
    return _plain(_exchange.profile(path.user_id))


@exchange_api.get("/v1/users/{user_id}/balances", response={200: contract.BalancesOut, **ERRORS})
def balances(request: HttpRequest, path: Path[UserPath]) -> dict[str, Any]:
    _check_signature(request)
    return {"balances": [_plain(row) for row in _exchange.balances(path.user_id)]}


@exchange_api.get("/v1/users/{user_id}/deposits", response={200: contract.DepositsOut, **ERRORS})
def deposits(
    request: HttpRequest, path: Path[UserPath], query: Query[RecordQuery]
) -> dict[str, Any]:
    _check_signature(request)
    rows = _exchange.deposits(path.user_id, coin=query.coin, txid=query.txid, limit=query.limit)
    return {"deposits": [_plain(row) for row in rows]}


@exchange_api.get(
    "/v1/users/{user_id}/withdrawals", response={200: contract.WithdrawalsOut, **ERRORS}
)
def withdrawals(
    request: HttpRequest, path: Path[UserPath], query: Query[RecordQuery]
) -> dict[str, Any]:
    _check_signature(request)
    rows = _exchange.withdrawals(path.user_id, coin=query.coin, txid=query.txid, limit=query.limit)
    return {"withdrawals": [_plain(row) for row in rows]}


@exchange_api.post("/v1/users/{user_id}/unlock", response={200: contract.ActionOut, **ERRORS})
def unlock(request: HttpRequest, path: Path[UserPath], body: contract.ActionIn) -> Any:
    _check_signature(request)
    return _plain(_exchange.unlock_account(path.user_id, note=body.note))


@exchange_api.post("/v1/users/{user_id}/lock", response={200: contract.ActionOut, **ERRORS})
def lock(request: HttpRequest, path: Path[UserPath], body: contract.LockIn) -> Any:
    _check_signature(request)
    reason = LockReason(body.reason)
    return _plain(_exchange.lock_account(path.user_id, reason=reason, note=body.note))


@exchange_api.post("/v1/users/{user_id}/step-up", response={200: contract.ActionOut, **ERRORS})
def step_up(request: HttpRequest, path: Path[UserPath], body: contract.ActionIn) -> Any:
    _check_signature(request)
    return _plain(_exchange.require_step_up(path.user_id, note=body.note))


@exchange_api.post(
    "/v1/users/{user_id}/two-factor-reset", response={200: contract.ActionOut, **ERRORS}
)
def two_factor_reset(request: HttpRequest, path: Path[UserPath], body: contract.ActionIn) -> Any:
    _check_signature(request)
    return _plain(_exchange.request_two_factor_reset(path.user_id, note=body.note))


@exchange_api.post(
    "/v1/users/{user_id}/withdrawals/{withdrawal_id}/hold",
    response={200: contract.ActionOut, **ERRORS},
)
def hold(request: HttpRequest, path: Path[RecordPath], body: contract.ActionIn) -> Any:
    _check_signature(request)
    return _plain(_exchange.hold_withdrawal(path.user_id, path.withdrawal_id, note=body.note))


@exchange_api.post(
    "/v1/users/{user_id}/withdrawals/{withdrawal_id}/release",
    response={200: contract.ActionOut, **ERRORS},
)
def release(request: HttpRequest, path: Path[RecordPath], body: contract.ActionIn) -> Any:
    _check_signature(request)
    return _plain(_exchange.release_withdrawal(path.user_id, path.withdrawal_id, note=body.note))
