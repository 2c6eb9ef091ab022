"""Calls to Discord's REST API: the one client module of the channel (tests put a local
server that speaks the subset used behind ``api_url``).

Every call has a timeout and is authenticated as the bot (``Authorization: Bot <token>``).
A failure says whether it is worth retrying: ``429`` (rate limited), ``5xx``, timeouts and
connection errors are; ``401`` (bad token), ``403`` (the user does not accept direct messages
from the bot), ``404`` and other refusals are not.
"""

from __future__ import annotations

from typing import Any

import httpx

DEFAULT_API_URL = "https://discord.com/api/v10"
CONNECT_TIMEOUT_SECONDS = 3.0
TIMEOUT_SECONDS = 10.0
USER_AGENT = "DiscordBot (https://github.com/kefu-support/kefu, 1)"


class DiscordError(Exception):
    """Discord did not do what was asked; ``permanent`` when asking again cannot help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def open_direct_channel(api_url: str, token: str, user_id: str) -> str:
    """The id of the direct-message channel with a user (Discord returns the existing one)."""
    answer = _call("POST", f"{api_url}/users/@me/channels", token, {"recipient_id": user_id})
    return _id_of(answer)


def send_message(api_url: str, token: str, channel_id: str, content: str, *, nonce: str) -> str:
    """Post a message that mentions nobody; returns its id. ``nonce`` makes Discord drop a
    repeat of the same message sent again shortly after (a retry)."""
    answer = _call(
        "POST",
        f"{api_url}/channels/{channel_id}/messages",
        token,
        {
            "content": content,
            "allowed_mentions": {"parse": []},
            "nonce": nonce,
            "enforce_nonce": True,
        },
    )
    return _id_of(answer)


def overwrite_commands(
    api_url: str, token: str, application_id: str, commands: list[dict[str, Any]]
) -> list[str]:
    """Replace the application's global slash commands; returns their ids."""
    answer = _call("PUT", f"{api_url}/applications/{application_id}/commands", token, commands)
    if not isinstance(answer, list):
        raise DiscordError("Discord's answer is not a list of commands", permanent=False)
    return [_id_of(command) for command in answer]


def _call(method: str, url: str, token: str, payload: object) -> Any:
    try:
        response = httpx.request(
            method,
            url,
            json=payload,
            headers={"Authorization": f"Bot {token}", "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS),
            follow_redirects=False,
        )
    except httpx.TimeoutException:
        raise DiscordError("Discord did not answer in time", permanent=False) from None
    except httpx.HTTPError as error:
        raise DiscordError(
            f"Discord unreachable: {type(error).__name__}", permanent=False
        ) from None
    status = response.status_code
    answer = _json(response)
    if status == 429:
        wait = answer.get("retry_after") if isinstance(answer, dict) else None
        after = f", retry after {wait} s" if isinstance(wait, int | float) else ""
        raise DiscordError(f"Discord rate limit{after}", permanent=False)
    if status >= 500:
        raise DiscordError(f"Discord error {status}", permanent=False)
    if not 200 <= status < 300:
        code = answer.get("code") if isinstance(answer, dict) else None
        detail = f" (code {code})" if isinstance(code, int) else ""
        raise DiscordError(f"Discord refused: {status}{detail}", permanent=True)
    return answer


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _id_of(answer: Any) -> str:
    value = answer.get("id") if isinstance(answer, dict) else None
    if not isinstance(value, str) or not value.isdigit() or len(value) > 25:
        raise DiscordError("Discord's answer has no id", permanent=False)
    return value
