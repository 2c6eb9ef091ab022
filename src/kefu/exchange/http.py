"""The HTTP adapter: the exchange's back office through the REST contract (``contract.py``).

Every request is signed and bounded in time and size; every answer is checked against the
contract's schemas before Kefu believes it. Whatever goes wrong (no connection, a timeout, a 5xx,
a body that is not the contract's) comes back as :class:`ExchangeError`, a 404 as
:class:`ExchangeNotFound` and a 409 as :class:`ExchangeRefused`, so the bot and the console can
say what they could not do.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import httpx
from pydantic import BaseModel
from pydantic import ValidationError as SchemaError

from kefu.exchange import contract
from kefu.exchange.adapter import (
    ActionResult,
    Balance,
    Deposit,
    ExchangeError,
    ExchangeNotFound,
    ExchangeRefused,
    LockReason,
    Network,
    Profile,
    Withdrawal,
)

logger = logging.getLogger(__name__)
MAX_BODY = 2 * 1024 * 1024
Model = TypeVar("Model", bound=BaseModel)


class HttpExchange:
    """:class:`kefu.exchange.adapter.Exchange` over HTTP."""

    def __init__(self, base_url: str, secret: str, *, timeout: float = 3.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("the exchange URL must start with http:// or https://")
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
            follow_redirects=False,
            headers={"User-Agent": "kefu-exchange-adapter/1"},
        )

    # --- lookups ------------------------------------------------------------------------------

    def networks(self) -> list[Network]:
        answer = self._get("/v1/networks", contract.NetworksOut)
        return [contract.network(row) for row in answer.networks]

    def unsupported_tokens(self) -> list[str]:
        return list(self._get("/v1/networks", contract.NetworksOut).unsupported_tokens)

    def profile(self, user_id: str) -> Profile:
        return contract.profile(self._get(f"/v1/users/{_part(user_id)}", contract.ProfileOut))

    def balances(self, user_id: str) -> list[Balance]:
        answer = self._get(f"/v1/users/{_part(user_id)}/balances", contract.BalancesOut)
        return [Balance(coin=row.coin, amount=row.amount) for row in answer.balances]

    def deposits(
        self, user_id: str, *, coin: str = "", txid: str = "", limit: int = 20
    ) -> list[Deposit]:
        path = f"/v1/users/{_part(user_id)}/deposits?" + _query(coin, txid, limit)
        return [contract.deposit(row) for row in self._get(path, contract.DepositsOut).deposits]

    def withdrawals(
        self, user_id: str, *, coin: str = "", txid: str = "", limit: int = 20
    ) -> list[Withdrawal]:
        path = f"/v1/users/{_part(user_id)}/withdrawals?" + _query(coin, txid, limit)
        answer = self._get(path, contract.WithdrawalsOut)
        return [contract.withdrawal(row) for row in answer.withdrawals]

    # --- actions ------------------------------------------------------------------------------

    def unlock_account(self, user_id: str, *, note: str = "") -> ActionResult:
        return self._act(f"/v1/users/{_part(user_id)}/unlock", note)

    def request_two_factor_reset(self, user_id: str, *, note: str = "") -> ActionResult:
        return self._act(f"/v1/users/{_part(user_id)}/two-factor-reset", note)

    def lock_account(self, user_id: str, *, reason: LockReason, note: str = "") -> ActionResult:
        return self._act(f"/v1/users/{_part(user_id)}/lock", note, reason=str(reason))

    def require_step_up(self, user_id: str, *, note: str = "") -> ActionResult:
        return self._act(f"/v1/users/{_part(user_id)}/step-up", note)

    def hold_withdrawal(self, user_id: str, withdrawal_id: str, *, note: str = "") -> ActionResult:
        return self._act(
            f"/v1/users/{_part(user_id)}/withdrawals/{_part(withdrawal_id)}/hold", note
        )

    def release_withdrawal(
        self, user_id: str, withdrawal_id: str, *, note: str = ""
    ) -> ActionResult:
        return self._act(
            f"/v1/users/{_part(user_id)}/withdrawals/{_part(withdrawal_id)}/release", note
        )

    # --- the wire -----------------------------------------------------------------------------

    def _get(self, path: str, schema: type[Model]) -> Model:
        return self._request("GET", path, b"", schema)

    def _act(self, path: str, note: str, **fields: str) -> ActionResult:
        body = json.dumps({"note": note[:500], **fields}).encode()
        answer = self._request("POST", path, body, contract.ActionOut)
        return ActionResult(action=answer.action, changed=answer.changed, detail=answer.detail)

    def _request(self, method: str, path: str, body: bytes, schema: type[Model]) -> Model:
        timestamp = str(int(time.time()))
        # The path as the server sees it: the base URL's own path prefix included.
        full_path = httpx.URL(self.base_url + path).raw_path.decode("ascii")
        headers = {
            contract.TIMESTAMP_HEADER: timestamp,
            contract.SIGNATURE_HEADER: contract.signature(
                self.secret, timestamp, method, full_path, body
            ),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        started = time.monotonic()
        try:
            request = self.client.build_request(
                method, self.base_url + path, content=body or None, headers=headers
            )
            response = self.client.send(request, stream=True)
            try:
                payload = _read_limited(response)
            finally:
                response.close()
        except httpx.TimeoutException:
            logger.warning("exchange %s %s timed out", method, path.split("?")[0])
            raise ExchangeError() from None
        except httpx.HTTPError as error:
            logger.warning("exchange %s %s failed: %s", method, path.split("?")[0], error)
            raise ExchangeError() from None
        elapsed = (time.monotonic() - started) * 1000
        logger.debug("exchange %s %s %s in %.0f ms", method, path, response.status_code, elapsed)
        if response.status_code == 404:
            raise ExchangeNotFound()
        if response.status_code == 409:
            raise ExchangeRefused(_message(payload))
        if response.status_code != 200:
            logger.warning(
                "exchange %s %s answered %s", method, path.split("?")[0], response.status_code
            )
            raise ExchangeError()
        try:
            return schema.model_validate_json(payload)
        except SchemaError as error:
            logger.warning(
                "exchange %s %s broke the contract: %s",
                method,
                path.split("?")[0],
                error.errors()[0] if error.errors() else error,
            )
            raise ExchangeError() from None

    def close(self) -> None:
        self.client.close()


def _part(value: str) -> str:
    return quote(str(value)[:128], safe="")


def _query(coin: str, txid: str, limit: int) -> str:
    params: dict[str, Any] = {"limit": max(1, min(int(limit), 100))}
    if coin:
        params["coin"] = coin[:10]
    if txid:
        params["txid"] = txid[:128]
    return urlencode(params)


def _read_limited(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BODY:
            raise httpx.DecodingError("answer too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _message(payload: bytes) -> str:
    try:
        error = contract.ErrorOut.model_validate_json(payload)
    except SchemaError:
        return "refused"
    return error.message
