"""Validation of files that customers and agents upload.

The type is read from the file's bytes, never trusted from its name or the browser's header,
and must be on the allow list; the size is capped; names are reduced to something safe to show
and to store.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from kefu.lib.errors import ErrorCode, KefuError

# Types customers send support: screenshots, PDFs of statements, plain-text logs.
ALLOWED_TYPES: dict[str, str] = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "text/plain": "txt",
}
TEXT_SNIFF_BYTES = 8192


class AttachmentRejected(KefuError):
    """An uploaded file is too big, of a forbidden type, or one too many."""

    code = ErrorCode.ATTACHMENT_REJECTED
    status = 400
    default_message = _("This file cannot be attached.")


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed validation, with what was learnt about it."""

    upload: UploadedFile
    content_type: str
    extension: str
    size: int
    sha256: str
    safe_name: str


def check_uploads(files: list[UploadedFile]) -> list[CheckedUpload]:
    """Validate every file; raise :class:`AttachmentRejected` naming the first bad one."""
    if len(files) > settings.ATTACHMENT_MAX_FILES:
        raise AttachmentRejected(
            _("You can attach at most %(count)d files.") % {"count": settings.ATTACHMENT_MAX_FILES}
        )
    return [check_upload(upload) for upload in files]


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """Validate one file's size and real type."""
    name = safe_filename(upload.name or "file")
    size = upload.size or 0
    if size <= 0:
        raise AttachmentRejected(_("%(name)s is empty.") % {"name": name})
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise AttachmentRejected(
            _("%(name)s is larger than %(limit)d MB.")
            % {"name": name, "limit": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
        )
    digest = hashlib.sha256()
    head = b""
    for chunk in upload.chunks():
        if len(head) < TEXT_SNIFF_BYTES:
            head += chunk[: TEXT_SNIFF_BYTES - len(head)]
        digest.update(chunk)
    upload.seek(0)
    content_type = _detect_type(head)
    if content_type not in ALLOWED_TYPES:
        raise AttachmentRejected(
            _("%(name)s is not an allowed file type (images, PDF or plain text).") % {"name": name}
        )
    extension = ALLOWED_TYPES[content_type]
    stem = PurePath(name).stem or "file"
    return CheckedUpload(
        upload=upload,
        content_type=content_type,
        extension=extension,
        size=size,
        sha256=digest.hexdigest(),
        safe_name=f"{stem}.{extension}",
    )


def _detect_type(head: bytes) -> str:
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if _is_plain_text(head):
        return "text/plain"
    return "application/octet-stream"


def _is_plain_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character may be cut at the end of the sniffed block.
        if error.start < len(head) - 4:
            return False
        text = head[: error.start].decode("utf-8")
    lowered = text.lstrip().lower()
    # HTML and SVG could run script when opened; they are not plain text here.
    return not lowered.startswith(("<!doctype", "<html", "<svg", "<?xml", "<script"))


_UNSAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)


def safe_filename(name: str) -> str:
    """Reduce a client-supplied file name to a short, path-free, printable name."""
    name = unicodedata.normalize("NFKC", PurePath(name.replace("\\", "/")).name)
    name = _UNSAFE_NAME.sub("_", name).strip(" .") or "file"
    return name[-120:]
