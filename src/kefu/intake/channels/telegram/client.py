"""The Telegram Bot API: the one client module for it (tests put a local server that speaks
the same methods behind the account's ``api_url``).

Every call is ``POST {api_url}/bot<token>/<method>`` and Telegram answers
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description",
"parameters": {"retry_after", "migrate_to_chat_id"}}``. Each call has a timeout, and a failure
says whether it is worth retrying: a refusal (400 "chat not found", 403 "bot was blocked by
the user", 401 a revoked token) is permanent; 429, 5xx and network errors are not. The token
is part of every URL, so it is never put in an error message or a log line.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

DEFAULT_API_URL = "https://api.telegram.org"
# Telegram's limit for one message's text, in UTF-16 code units.
MAX_TEXT_UNITS = 4096
TIMEOUT_SECONDS = 15.0
CONNECT_TIMEOUT_SECONDS = 3.0
MAX_ANSWER_BYTES = 8 * 1024 * 1024
_TOKEN = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{20,100}$")
_TOKEN_IN_TEXT = re.compile(r"bot\d{1,20}:[A-Za-z0-9_-]+")


class _RedactTokens(logging.Filter):
    """httpx logs each request's URL, which holds the bot token: cut it out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN_IN_TEXT.search(message):
            record.msg = _TOKEN_IN_TEXT.sub("bot<token>", message)
            record.args = ()
        return True


logging.getLogger("httpx").addFilter(_RedactTokens())


class TelegramError(Exception):
    """Telegram did not do what was asked; ``permanent`` when asking again cannot help.

    ``error_code`` is Telegram's (or the HTTP status, 0 for a network error),
    ``retry_after`` the seconds it asked to wait, ``migrate_to_chat_id`` the new id of a group
    that became a supergroup.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        error_code: int = 0,
        retry_after: int = 0,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.error_code = error_code
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    @property
    def is_conflict(self) -> bool:
        """getUpdates refused because a webhook is set (or another poller is running)."""
        return self.error_code == 409


@dataclass(frozen=True)
class BotUser:
    """The bot itself, as getMe describes it."""

    id: int
    username: str
    first_name: str


def bot_id_of(token: str) -> int | None:
    """The bot's user id, which is the token's first part; None for a malformed token."""
    match = _TOKEN.match(token.strip())
    return int(match.group(1)) if match else None


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class TelegramClient:
    """Calls of one bot. ``api_url`` is Telegram's (or a local Bot API server's) base URL."""

    def __init__(self, token: str, api_url: str = "", *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.token = token.strip()
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self.timeout = timeout

    def get_me(self) -> BotUser:
        result = self._call("getMe")
        if not isinstance(result, dict) or not isinstance(result.get("id"), int):
            raise TelegramError("getMe answered without the bot's id", permanent=False)
        username = result.get("username")
        first_name = result.get("first_name")
        return BotUser(
            id=result["id"],
            username=username if isinstance(username, str) else "",
            first_name=first_name if isinstance(first_name, str) else "",
        )

    def get_updates(
        self, *, offset: int, timeout: int = 0, allowed_updates: list[str] | None = None
    ) -> list[Any]:
        """Updates after ``offset`` (which also confirms the earlier ones), waiting up to
        ``timeout`` seconds for one to come."""
        payload: dict[str, Any] = {"offset": offset, "timeout": timeout, "limit": 100}
        if allowed_updates is not None:
            payload["allowed_updates"] = allowed_updates
        result = self._call("getUpdates", payload, read_timeout=timeout + self.timeout)
        if not isinstance(result, list):
            raise TelegramError("getUpdates answered without a list", permanent=False)
        return result

    def set_webhook(self, *, url: str, secret_token: str, allowed_updates: list[str]) -> None:
        self._call(
            "setWebhook",
            {"url": url, "secret_token": secret_token, "allowed_updates": allowed_updates},
        )

    def delete_webhook(self) -> None:
        self._call("deleteWebhook", {"drop_pending_updates": False})

    def send_message(
        self,
        *,
        chat_id: int | str,
        text: str,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> int:
        """Send plain text (no parse mode: nothing in it is read as markup); return the sent
        message's id."""
        payload: dict[str, Any] = {
            "chat_id": chat_id,
            "text": text,
            "link_preview_options": {"is_disabled": True},
        }
        self._reply_fields(payload, reply_to_message_id, message_thread_id)
        return self._message_id(self._call("sendMessage", payload))

    def send_file(
        self,
        *,
        chat_id: int | str,
        name: str,
        data: bytes,
        content_type: str,
        caption: str = "",
        as_photo: bool = False,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> int:
        """Send a file (sendPhoto for a picture shown inline, else sendDocument)."""
        method, field = ("sendPhoto", "photo") if as_photo else ("sendDocument", "document")
        payload: dict[str, Any] = {"chat_id": chat_id}
        if caption:
            payload["caption"] = caption
        self._reply_fields(payload, reply_to_message_id, message_thread_id)
        form = {
            key: value if isinstance(value, str) else _json(value) for key, value in payload.items()
        }
        files = {field: (name, data, content_type or "application/octet-stream")}
        return self._message_id(self._call(method, form=form, files=files))

    def download_file(self, file_id: str, *, max_bytes: int) -> bytes:
        """The bytes of a file a user sent (getFile, then its download URL); a file larger
        than ``max_bytes`` is refused (permanently) without reading it all."""
        result = self._call("getFile", {"file_id": file_id})
        path = result.get("file_path") if isinstance(result, dict) else None
        size = result.get("file_size") if isinstance(result, dict) else None
        if not isinstance(path, str) or not path or ".." in path.split("/"):
            raise TelegramError("getFile answered without a file path", permanent=True)
        if isinstance(size, int) and size > max_bytes:
            raise TelegramError("the file is too large", permanent=True)
        url = f"{self.api_url}/file/bot{self.token}/{quote(path.lstrip('/'), safe='/')}"
        try:
            with httpx.stream("GET", url, timeout=self._timeout(), follow_redirects=False) as got:
                if got.status_code != 200:
                    permanent = got.status_code < 500 and got.status_code != 429
                    raise TelegramError(
                        f"file download answered {got.status_code}",
                        permanent=permanent,
                        error_code=got.status_code,
                    )
                data = bytearray()
                for chunk in got.iter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        raise TelegramError("the file is too large", permanent=True)
                return bytes(data)
        except httpx.HTTPError as error:
            raise _unreachable("file download", error) from None

    def _reply_fields(
        self, payload: dict[str, Any], reply_to: int | None, thread_id: int | None
    ) -> None:
        if reply_to is not None:
            # The reply still goes out if the customer deleted the message it answers.
            payload["reply_parameters"] = {
                "message_id": reply_to,
                "allow_sending_without_reply": True,
            }
        if thread_id is not None:
            payload["message_thread_id"] = thread_id

    def _message_id(self, result: Any) -> int:
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if not isinstance(message_id, int):
            raise TelegramError("Telegram answered without the sent message's id", permanent=False)
        return message_id

    def _timeout(self, read: float | None = None) -> httpx.Timeout:
        return httpx.Timeout(
            self.timeout, connect=CONNECT_TIMEOUT_SECONDS, read=read or self.timeout
        )

    def _call(
        self,
        method: str,
        payload: dict[str, Any] | None = None,
        *,
        form: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        read_timeout: float | None = None,
    ) -> Any:
        if bot_id_of(self.token) is None:
            raise TelegramError("the bot token is not valid", permanent=True, error_code=401)
        url = f"{self.api_url}/bot{self.token}/{method}"
        try:
            if files is not None:
                response = httpx.post(
                    url, data=form, files=files, timeout=self._timeout(read_timeout)
                )
            else:
                response = httpx.post(url, json=payload or {}, timeout=self._timeout(read_timeout))
        except httpx.HTTPError as error:
            raise _unreachable(method, error) from None
        return _result(method, response)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _unreachable(method: str, error: httpx.HTTPError) -> TelegramError:
    # Only the exception's type: its text may hold the URL, and with it the token.
    return TelegramError(
        f"{method}: Telegram unreachable ({type(error).__name__})", permanent=False
    )


def _result(method: str, response: httpx.Response) -> Any:
    status = response.status_code
    transient = status == 429 or status >= 500
    if len(response.content) > MAX_ANSWER_BYTES:
        raise TelegramError(f"{method}: the answer is too large", permanent=False)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise TelegramError(
            f"{method}: Telegram answered {status} without JSON",
            permanent=not transient,
            error_code=status,
        )
    if answer.get("ok") is True and 200 <= status < 300:
        return answer.get("result")
    code = answer.get("error_code")
    code = code if isinstance(code, int) else status
    description = answer.get("description")
    description = description if isinstance(description, str) else ""
    parameters = answer.get("parameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    retry_after = parameters.get("retry_after")
    migrate_to = parameters.get("migrate_to_chat_id")
    transient = transient or code == 429 or code >= 500
    text = _TOKEN_IN_TEXT.sub("bot<token>", description)[:200]
    raise TelegramError(
        f"{method}: {code} {text}".strip(),
        permanent=not transient,
        error_code=code,
        retry_after=retry_after if isinstance(retry_after, int) else 0,
        migrate_to_chat_id=migrate_to if isinstance(migrate_to, int) else None,
    )
