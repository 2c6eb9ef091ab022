"""Errors of the knowledge base: bad article content, bad content files, bad feedback."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kefu.lib.errors import ErrorCode, KefuError


class ArticleInvalid(KefuError):
    """Article content that breaks a rule (a missing title, an unknown intent ...)."""

    code = ErrorCode.INVALID_INPUT
    status = 400
    default_message = _("The article is not valid.")


class ContentFileError(Exception):
    """A content file that cannot be loaded: which file and why."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class SuggestionClosed(KefuError):
    """The suggestion was already turned into an article or rejected."""

    code = ErrorCode.CONFLICT
    status = 409
    default_message = _("This suggestion has already been reviewed.")
