"""The staff console's websocket: live inbox updates, open conversations, typing and replies.

Staff authenticate with their console session, which must have passed two-factor sign-in.
Connected with ``?inbox=1`` (the inbox page) the socket joins the inbox groups of the queues the
staff member works; a conversation's messages and typing arrive after a ``subscribe`` that
passed the access check. Assignments to the staff member always arrive.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from django.utils.translation import gettext as _

from kefu.accounts.middleware import SESSION_TWO_FACTOR_KEY
from kefu.accounts.models import User
from kefu.conversations.access import access_conversation, visible_queues
from kefu.conversations.events import agent_group, customer_group, queue_group, staff_groups
from kefu.conversations.services import NewMessage
from kefu.conversations.writer import write_message
from kefu.lib.consumers import JsonConsumer
from kefu.lib.database import in_database
from kefu.lib.errors import KefuError
from kefu.lib.live import RELAY_TYPE
from kefu.lib.taxonomy import queues
from kefu.routing import services as routing

MAX_SUBSCRIPTIONS = 30


def _staff_user_for_scope(scope: dict[str, Any]) -> User | None:
    """The active staff member behind a websocket scope, if their session passed 2FA."""
    user = scope.get("user")
    session = scope.get("session")
    if user is None or not user.is_authenticated or session is None:
        return None
    if not session.get(SESSION_TWO_FACTOR_KEY):
        return None
    return User.objects.filter(pk=user.pk, is_active=True).first()


def _wants_inbox(scope: dict[str, Any]) -> bool:
    """Inbox pages connect with ``?inbox=1``; conversation pages skip the inbox traffic."""
    query = parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
    return bool(query.get("inbox", ["0"])[0] == "1")


class StaffConsumer(JsonConsumer):
    user: User | None = None

    async def connect(self) -> None:
        self.user = await in_database(_staff_user_for_scope)(self.scope)
        if self.user is None:
            await self.close()
            return
        self.subscriptions: set[int] = set()
        self.groups_joined = [agent_group(self.user.pk)]
        if _wants_inbox(self.scope):
            worked = await in_database(visible_queues)(self.user)
            self.groups_joined += [
                queue_group(queue) for queue in (worked if worked is not None else queues())
            ]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        # Presence: a staff member with no console open is offline (kefu.routing).
        await in_database(routing.console_connected)(self.user, self.channel_name)
        await self.send_json({"type": "ready"})

    async def disconnect(self, code: int) -> None:
        if self.user is None:
            return
        await in_database(routing.console_disconnected)(self.channel_name)
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        for conversation_id in self.subscriptions:
            for group in staff_groups(conversation_id):
                await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        user = self.user
        if user is None:
            return
        if not isinstance(content, dict):
            await self.send_error("invalid_input", _("Messages must be JSON objects."))
            return
        kind = content.get("type")
        if kind == "ping":
            await in_database(routing.console_seen)(self.channel_name)
            await self.send_json({"type": "pong"})
            return
        conversation_id = content.get("conversation")
        if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
            await self.send_error("invalid_input", _("Name a conversation by its number."))
            return
        if kind == "subscribe":
            await self.on_subscribe(user, conversation_id)
        elif kind == "unsubscribe":
            await self.on_unsubscribe(conversation_id)
        elif kind == "typing":
            await self.on_typing(user, conversation_id, bool(content.get("is_typing")))
        elif kind == "reply":
            await self.on_reply(user, conversation_id, content)
        else:
            await self.send_error("invalid_input", _("Unknown message type."))

    async def on_subscribe(self, user: User, conversation_id: int) -> None:
        if conversation_id in self.subscriptions:
            return
        if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            await self.send_error("invalid_input", _("Too many open conversations."))
            return
        try:
            await in_database(access_conversation)(user, conversation_id)
        except KefuError as error:
            await self.send_error(str(error.code), str(error.message), conversation=conversation_id)
            return
        self.subscriptions.add(conversation_id)
        for group in staff_groups(conversation_id):
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "subscribed", "conversation": conversation_id})

    async def live_event(self, event: dict[str, Any]) -> None:
        payload = event["payload"]
        user = self.user
        if payload.get("type") == "conversation.changed" and user is not None:
            conversation_id = payload["conversation"]["id"]
            if conversation_id in self.subscriptions and not await _still_visible(
                user, conversation_id
            ):
                # Transferred to a team this person does not work: stop following it.
                await self.on_unsubscribe(conversation_id)
                await self.send_json({"type": "unsubscribed", "conversation": conversation_id})
                return
        await self.send_json(payload)

    async def on_unsubscribe(self, conversation_id: int) -> None:
        if conversation_id in self.subscriptions:
            self.subscriptions.discard(conversation_id)
            for group in staff_groups(conversation_id):
                await self.channel_layer.group_discard(group, self.channel_name)

    async def on_typing(self, user: User, conversation_id: int, is_typing: bool) -> None:
        if conversation_id not in self.subscriptions:
            return
        await self.channel_layer.group_send(
            customer_group(conversation_id),
            {
                "type": RELAY_TYPE,
                "payload": {
                    "type": "typing",
                    "conversation": conversation_id,
                    "author_type": "agent",
                    "name": user.public_name,
                    "is_typing": is_typing,
                },
            },
        )

    async def on_reply(self, user: User, conversation_id: int, content: dict[str, Any]) -> None:
        body = content.get("body")
        client_id = content.get("client_id") or ""
        if not isinstance(body, str) or not isinstance(client_id, str):
            await self.send_error("invalid_input", _("A reply needs a text body."))
            return
        if conversation_id not in self.subscriptions:
            await self.send_error("not_found", _("Not found."), conversation=conversation_id)
            return
        item = NewMessage(
            conversation_id,
            body,
            client_id[:64],
            agent=user,
            is_internal=bool(content.get("is_internal")),
        )
        self.in_background(self.store_and_acknowledge(item))

    async def store_and_acknowledge(self, item: NewMessage) -> None:
        client_id = item.client_id
        try:
            posted = await write_message(item)
        except KefuError as error:
            await self.send_error(str(error.code), str(error.message), client_id=client_id)
            return
        await self.send_json(
            {
                "type": "ack",
                "client_id": client_id,
                "message_id": posted.message.pk,
                "created": posted.created,
            }
        )


async def _still_visible(user: User, conversation_id: int) -> bool:
    try:
        await in_database(access_conversation)(user, conversation_id)
    except KefuError:
        return False
    return True
