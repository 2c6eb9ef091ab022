from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.test import override_settings

from kefu.lib.uploads import AttachmentRejected, check_upload, check_uploads, safe_filename

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def test_the_type_comes_from_the_bytes_not_the_name() -> None:
    checked = check_upload(SimpleUploadedFile("receipt.pdf", PNG, content_type="application/pdf"))
    assert checked.content_type == "image/png"
    assert checked.safe_name == "receipt.png"
    assert checked.size == len(PNG)


def test_plain_text_logs_are_accepted() -> None:
    checked = check_upload(SimpleUploadedFile("app.log", "错误 error 1021\n".encode()))
    assert checked.content_type == "text/plain"
    assert checked.safe_name == "app.txt"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", b"<!DOCTYPE html><script>alert(1)</script>"),
        ("image.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("archive.zip", b"PK\x03\x04\x14\x00\x00\x00"),
        ("empty.txt", b""),
    ],
)
def test_dangerous_or_empty_files_are_rejected(name: str, content: bytes) -> None:
    with pytest.raises(AttachmentRejected):
        check_upload(SimpleUploadedFile(name, content))


@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_files_over_the_size_limit_are_rejected() -> None:
    with pytest.raises(AttachmentRejected, match="larger than"):
        check_upload(SimpleUploadedFile("big.txt", b"a" * 1025))


@override_settings(ATTACHMENT_MAX_FILES=2)
def test_too_many_files_are_rejected() -> None:
    files: list[UploadedFile] = [SimpleUploadedFile(f"{i}.txt", b"hello") for i in range(3)]
    with pytest.raises(AttachmentRejected, match="at most 2"):
        check_uploads(files)


def test_file_names_lose_paths_and_odd_characters() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\me\\截图 1.png") == "截图 1.png"
    assert safe_filename('<img src=x onerror="1">.png') == "_img src_x onerror_1_.png"
    assert safe_filename("...") == "file"
