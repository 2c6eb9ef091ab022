"""The one interface every channel implements.

Inbound, an adapter turns what its channel sends (a mail, a Telegram update, a webhook call)
into :class:`InboundMessage` values and hands each to :func:`kefu.intake.ingest.ingest`, which
matches the sender to a customer, keeps threads together, stores attachments and is idempotent
on the channel's own message id. Outbound, :mod:`kefu.intake.outbound` calls the adapter's
:meth:`ChannelAdapter.deliver` for each reply waiting to go out on one of its accounts, and
retries with back-off what fails. An adapter that must fetch its messages (IMAP, Telegram long
polling) also implements :meth:`ChannelAdapter.poll`, which the channel sweep calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from kefu.conversations.models import Message
from kefu.intake.models import ChannelAccount, ChannelKind


@dataclass(frozen=True)
class Sender:
    """Who wrote, as the channel knows them. ``external_id`` is stable on the channel (a user
    id, an email address, a phone number); ``exchange_user_id`` is the exchange's own id when
    the channel can vouch for it (a signed webhook from the exchange's app)."""

    external_id: str
    name: str = ""
    username: str = ""
    email: str = ""
    phone: str = ""
    language: str = ""
    exchange_user_id: str = ""


@dataclass(frozen=True)
class InboundAttachment:
    """A file that came with a message; its type is checked from its bytes before it is kept."""

    name: str
    data: bytes
    content_type: str = ""
    content_id: str = ""  # an inline image's Content-ID, referenced by the HTML as cid:...


@dataclass(frozen=True)
class InboundMessage:
    """One customer message from a channel, normalised.

    ``thread_keys`` are keys of the thread it belongs to (the Message-IDs an email replies to,
    a chat id), tried in order; ``own_keys`` are registered for it so later messages find the
    conversation (its own Message-ID, the chat id). ``conversation_id`` is a conversation the
    adapter already identified and checked (a ticket token in a mail), tried first.
    ``reply_address`` is where replies go, kept on the conversation's channel thread.
    """

    external_id: str
    sender: Sender
    body: str
    thread_keys: tuple[str, ...] = ()
    own_keys: tuple[str, ...] = ()
    conversation_id: int | None = None
    subject: str = ""
    html: str = ""
    attachments: tuple[InboundAttachment, ...] = ()
    reply_address: dict[str, Any] = field(default_factory=dict)
    sent_at: datetime | None = None
    # Continue the thread even when its conversation is resolved (chats); a closed one never.
    new_conversation: bool = False


class DeliveryError(Exception):
    """The channel did not take a reply; ``permanent`` when trying again cannot help (the chat
    was deleted, the address does not exist)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class ChannelAdapter:
    """Base of the adapters; subclasses set ``kind`` and register with :func:`register`."""

    kind: ClassVar[ChannelKind]
    # Whether the sweep calls poll() for its active accounts.
    polls: ClassVar[bool] = False

    def deliver(self, account: ChannelAccount, message: Message, address: dict[str, Any]) -> str:
        """Send ``message`` to ``address`` on ``account``; return the channel's id for it.

        Raise :class:`DeliveryError` when the channel does not take it.
        """
        raise DeliveryError(f"{self.kind} accounts send nothing", permanent=True)

    def poll(self, account: ChannelAccount) -> int:
        """Fetch and ingest what is new on ``account`` since its cursor; return how many."""
        return 0


_ADAPTERS: dict[str, ChannelAdapter] = {}


def register(adapter: ChannelAdapter) -> ChannelAdapter:
    _ADAPTERS[str(adapter.kind)] = adapter
    return adapter


def adapter_for(kind: str) -> ChannelAdapter:
    """The adapter of a kind of account; the channel modules register themselves on import."""
    from kefu.intake import channels  # noqa: F401 - imports and registers every adapter

    try:
        return _ADAPTERS[kind]
    except KeyError:
        raise LookupError(f"no adapter for channel {kind!r}") from None
