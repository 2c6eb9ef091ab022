"""The customer's websocket, for the chat widget and a ticket's tracking page.

Connect with ``?visitor=<visitor token>`` (widget) or ``?ticket=<tracking token>``. The server
sends the history first, then every new message, typing and status change; the client sends
``message`` (with its own ``client_id``, so a resend after a reconnect is stored once) and
``typing``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import asdict
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.conversations.errors import ConversationClosed
from kefu.conversations.events import customer_groups, staff_group
from kefu.conversations.models import Conversation
from kefu.conversations.services import NewMessage, PostedMessage
from kefu.conversations.writer import write_message
from kefu.intake import services
from kefu.lib.consumers import JsonConsumer
from kefu.lib.database import in_database
from kefu.lib.errors import KefuError, RateLimited
from kefu.lib.live import RELAY_TYPE, LiveEvent, collect_events, send_collected

RATE_WINDOW_SECONDS = 10.0


class CustomerConsumer(JsonConsumer):
    session: services.CustomerSession | None = None

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("utf-8", "replace"))
        try:
            self.session = await in_database(services.open_customer_session)(
                visitor_token=query.get("visitor", [""])[0],
                tracking_token=query.get("ticket", [""])[0],
            )
        except KefuError:
            await self.close()
            return
        self.sent_at: deque[float] = deque()
        self.starting = asyncio.Lock()
        await self.accept()
        if self.session.conversation_id is not None:
            await self.join(self.session.conversation_id)
        await self.send_history(self.session)

    async def disconnect(self, code: int) -> None:
        if self.session is not None and self.session.conversation_id is not None:
            await self.leave(self.session.conversation_id)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        session = self.session
        if session is None:
            return
        if not isinstance(content, dict):
            await self.send_error("invalid_input", _("Messages must be JSON objects."))
            return
        kind = content.get("type")
        if kind == "message":
            await self.on_message(session, content)
        elif kind == "typing":
            await self.on_typing(session, bool(content.get("is_typing")))
        elif kind == "history":
            await self.send_history(session)
        else:
            await self.send_error("invalid_input", _("Unknown message type."))

    async def on_message(self, session: services.CustomerSession, content: dict[str, Any]) -> None:
        body = content.get("body")
        client_id = content.get("client_id") or ""
        if not isinstance(body, str) or not isinstance(client_id, str):
            await self.send_error("invalid_input", _("A message needs a text body."))
            return
        try:
            self.count_against_rate_limit()
        except KefuError as error:
            await self.send_error(str(error.code), str(error.message), client_id=client_id)
            return
        if session.conversation_id is None:
            # The first message starts the chat: the next ones wait for its conversation.
            await self.store_and_acknowledge(session, body, client_id[:64])
        else:
            self.in_background(self.store_and_acknowledge(session, body, client_id[:64]))

    async def store_and_acknowledge(
        self, session: services.CustomerSession, body: str, client_id: str
    ) -> None:
        previous_conversation = session.conversation_id
        try:
            posted, unsent = await self._store(session, body, client_id)
        except KefuError as error:
            await self.send_error(str(error.code), str(error.message), client_id=client_id)
            return
        if posted.conversation.pk != previous_conversation:
            await self.follow(posted.conversation, previous_conversation)
        await self.send_json(
            {
                "type": "ack",
                "client_id": client_id,
                "message_id": posted.message.pk,
                "created": posted.created,
            }
        )
        # A new chat's first events go out once this socket has joined its group.
        await send_collected(unsent)

    async def _store(
        self, session: services.CustomerSession, body: str, client_id: str
    ) -> tuple[PostedMessage, list[LiveEvent]]:
        """Store the message in the customer's chat, or in a new one when there is none or it
        was closed; return it and the live events still to send (those of a new chat)."""
        conversation_id = session.conversation_id
        if conversation_id is not None:
            try:
                return await write_message(NewMessage(conversation_id, body, client_id)), []
            except ConversationClosed:
                if not session.is_widget:
                    raise
        async with self.starting:
            if session.conversation_id != conversation_id and session.conversation_id is not None:
                # Another message of this socket already started the new chat.
                posted = await write_message(NewMessage(session.conversation_id, body, client_id))
                return posted, []
            return await in_database(_start_chat)(session, body, client_id)

    async def join(self, conversation_id: int) -> None:
        for group in customer_groups(conversation_id):
            await self.channel_layer.group_add(group, self.channel_name)

    async def leave(self, conversation_id: int) -> None:
        for group in customer_groups(conversation_id):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def follow(self, conversation: Conversation, previous: int | None) -> None:
        """Move this socket to a new conversation's group and tell the client."""
        if previous is not None:
            await self.leave(previous)
        await self.join(conversation.pk)
        await self.send_json(
            {
                "type": "conversation",
                "conversation": {
                    "id": conversation.pk,
                    "number": conversation.number,
                    "status": conversation.status,
                },
            }
        )

    async def on_typing(self, session: services.CustomerSession, is_typing: bool) -> None:
        if session.conversation_id is None:
            return
        await self.channel_layer.group_send(
            staff_group(session.conversation_id),
            {
                "type": RELAY_TYPE,
                "payload": {
                    "type": "typing",
                    "conversation": session.conversation_id,
                    "author_type": "customer",
                    "is_typing": is_typing,
                },
            },
        )

    async def send_history(self, session: services.CustomerSession) -> None:
        conversation, messages = await in_database(services.session_history)(session)
        await self.send_json(
            {
                "type": "history",
                "conversation": asdict(conversation) if conversation else None,
                "messages": messages,
            }
        )

    def count_against_rate_limit(self) -> None:
        now = time.monotonic()
        while self.sent_at and now - self.sent_at[0] > RATE_WINDOW_SECONDS:
            self.sent_at.popleft()
        if len(self.sent_at) >= settings.WIDGET_MESSAGES_PER_10_SECONDS:
            raise RateLimited(_("You are sending messages too fast. Please wait a few seconds."))
        self.sent_at.append(now)


def _start_chat(
    session: services.CustomerSession, body: str, client_id: str
) -> tuple[PostedMessage, list[LiveEvent]]:
    with (
        translation.override(_django_language(session.language)),
        collect_events() as collected,
    ):
        posted = services.start_chat(session, body=body, client_id=client_id)
    return posted, list(collected)


def _django_language(language: str) -> str:
    return "zh-hans" if language == "zh" else "en"
