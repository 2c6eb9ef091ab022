"""Errors of conversations and messages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kefu.lib.errors import ErrorCode, KefuError


class ConversationClosed(KefuError):
    """A closed conversation takes no more messages; the customer starts a new one."""

    code = ErrorCode.CONVERSATION_CLOSED
    status = 409
    default_message = _("This conversation is closed. Please start a new one.")


class MessageEmpty(KefuError):
    code = ErrorCode.MESSAGE_EMPTY
    status = 400
    default_message = _("Write a message or attach a file.")


class MessageTooLong(KefuError):
    code = ErrorCode.MESSAGE_TOO_LONG
    status = 400
    default_message = _("This message is too long.")


class InvalidChange(KefuError):
    """A status, priority, queue or assignee that does not exist or is not allowed."""

    code = ErrorCode.INVALID_INPUT
    status = 400
    default_message = _("That change is not allowed.")
