"""Photos and documents customers send, and what the client never reveals."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

from kefu.conversations.models import Message
from kefu.intake.channels.telegram.client import TelegramClient, TelegramError
from kefu.intake.channels.telegram.tests.bot_api import TOKEN, BotApi, Failure
from kefu.intake.channels.telegram.tests.factories import post_update, private, webhook_account

pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def photo_sizes() -> list[dict[str, Any]]:
    return [
        {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 60, "file_size": 900},
        {"file_id": "large", "file_unique_id": "l", "width": 1280, "height": 853, "file_size": 99},
        {
            "file_id": "huge",
            "file_unique_id": "h",
            "width": 4000,
            "height": 3000,
            "file_size": 50 * 1024 * 1024,
        },
    ]


def test_a_photo_with_a_caption_is_kept_as_an_attachment(client: Client, bot_api: BotApi) -> None:
    account = webhook_account(bot_api)
    bot_api.add_file("large", "photos/file_7.jpg", JPEG)
    update = private(100, 7, None, photo=photo_sizes(), caption="Here is the screenshot")

    response = post_update(client, account, update)

    assert response.json()["stored"] is True
    message = Message.objects.get()
    assert message.body == "Here is the screenshot"
    attachment = message.attachments.get()
    assert (attachment.content_type, attachment.original_name) == ("image/jpeg", "photo_7.jpg")
    assert attachment.file.read() == JPEG
    assert [call.params for call in bot_api.called("getFile")] == [{"file_id": "large"}]

    again = post_update(client, account, update)

    assert again.json()["stored"] is False
    assert bot_api.downloads == 1  # a redelivery fetches nothing again
    assert Message.objects.count() == 1


def test_a_document_is_downloaded_and_its_type_checked_from_its_bytes(
    client: Client, bot_api: BotApi
) -> None:
    account = webhook_account(bot_api)
    bot_api.add_file("doc-1", "documents/statement.pdf", PDF)
    bot_api.add_file("doc-2", "documents/run.exe", b"MZ\x90\x00" + b"\x00" * 200)
    document = {"file_id": "doc-1", "file_name": "statement.pdf", "mime_type": "application/pdf"}
    program = {"file_id": "doc-2", "file_name": "invoice.pdf", "mime_type": "application/pdf"}

    post_update(client, account, private(100, 7, None, document=document))
    post_update(client, account, private(101, 8, None, document=program))

    first, second = Message.objects.order_by("pk")
    assert first.attachments.get().original_name == "statement.pdf"
    assert second.attachments.count() == 0
    assert second.body == "invoice.pdf is not an allowed file type (images, PDF or plain text)."


def test_a_file_too_large_to_fetch_becomes_a_note_in_the_message(
    client: Client, bot_api: BotApi
) -> None:
    account = webhook_account(bot_api)
    document = {"file_id": "big", "file_name": "backup.zip", "file_size": 30 * 1024 * 1024}

    post_update(client, account, private(100, 7, None, document=document, caption="logs"))

    message = Message.objects.get()
    assert message.body == (
        "logs\n(backup.zip was not kept: files larger than 10 MB are not accepted)"
    )
    assert bot_api.called("getFile") == []


def test_a_file_telegram_cannot_serve_leaves_the_text_intact(
    client: Client, bot_api: BotApi
) -> None:
    account = webhook_account(bot_api)
    bot_api.fail("getFile", Failure(500, "Internal Server Error"))
    update = private(100, 7, None, photo=photo_sizes()[:1], caption="the error")

    response = post_update(client, account, update)

    assert response.status_code == 200
    assert (
        Message.objects.get().body == "the error\n(photo_7.jpg could not be fetched from Telegram)"
    )


def test_a_sticker_or_voice_message_arrives_as_a_placeholder(
    client: Client, bot_api: BotApi
) -> None:
    account = webhook_account(bot_api)

    post_update(client, account, private(100, 7, None, sticker={"file_id": "st"}))
    post_update(client, account, private(101, 8, None, voice={"file_id": "vo", "duration": 3}))

    assert list(Message.objects.order_by("pk").values_list("body", flat=True)) == [
        "(sticker)",
        "(voice message)",
    ]
    assert bot_api.downloads == 0


def test_a_download_larger_than_the_limit_is_cut_off(bot_api: BotApi) -> None:
    bot_api.add_file("f", "documents/f.bin", b"x" * 5000)
    client = TelegramClient(TOKEN, bot_api.url)

    with pytest.raises(TelegramError) as raised:
        client.download_file("f", max_bytes=4096)

    assert raised.value.permanent is True
    assert client.download_file("f", max_bytes=5000) == b"x" * 5000


def test_the_token_appears_in_no_log_line_or_error(
    bot_api: BotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="httpx")
    client = TelegramClient(TOKEN, bot_api.url)
    bot_api.fail("sendMessage", Failure(400, f"Bad Request: bot{TOKEN} chat not found"))

    client.get_me()
    with pytest.raises(TelegramError) as raised:
        client.send_message(chat_id=1, text="hi")

    assert "getMe" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN not in str(raised.value)
    assert str(raised.value) == "sendMessage: 400 Bad Request: bot<token> chat not found"


def test_a_malformed_token_is_refused_before_any_call(bot_api: BotApi) -> None:
    with pytest.raises(TelegramError) as raised:
        TelegramClient("../../etc/passwd", bot_api.url).get_me()

    assert raised.value.permanent is True
    assert bot_api.calls == []
