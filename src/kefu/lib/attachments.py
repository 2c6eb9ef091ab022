"""Serving stored attachments safely."""

from __future__ import annotations

from typing import Protocol

from django.db.models.fields.files import FieldFile
from django.http import FileResponse

# Types a browser may show inline; everything else is downloaded.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}


class StoredFile(Protocol):
    file: FieldFile
    content_type: str
    original_name: str


def attachment_response(attachment: StoredFile) -> FileResponse:
    """Stream the file with its checked type; nothing in it can run script on our origin."""
    inline = attachment.content_type in INLINE_TYPES
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
