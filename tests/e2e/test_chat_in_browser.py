"""A customer and an agent talk through the real product in a real browser (Chromium)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from kefu.demo_staff import DEMO_PASSWORD, STAFF
from tests.servers import Server, fresh_database, kefu_servers, scaleout_urls

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT_MS = 15_000
WORKER_START_MS = 60_000


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    urls = scaleout_urls()
    if urls is None:
        with kefu_servers(1) as servers:
            yield servers[0]
        return
    database_url, redis_url = urls
    with (
        fresh_database(database_url) as database,
        kefu_servers(1, database_url=database, redis_url=redis_url) as servers,
    ):
        yield servers[0]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("KEFU_REQUIRE_BROWSER"):
            pytest.fail("KEFU_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield instance
        instance.close()


def sign_in(page: object, base: str, username: str) -> None:
    secret = next(person.totp_secret for person in STAFF if person.username == username)
    page.goto(base + "/console/")  # type: ignore[attr-defined]
    page.fill("#id_username", username)  # type: ignore[attr-defined]
    page.fill("#id_password", DEMO_PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.fill("input[name=code]", pyotp.TOTP(secret).now())  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("#inbox-table", timeout=TIMEOUT_MS)  # type: ignore[attr-defined]


def test_customer_writes_agent_answers_live(server: Server, browser: object) -> None:
    from playwright.sync_api import expect

    customer = browser.new_context(locale="zh-CN").new_page()  # type: ignore[attr-defined]
    agent = browser.new_context(locale="en-US").new_page()  # type: ignore[attr-defined]
    customer.set_default_timeout(TIMEOUT_MS)
    agent.set_default_timeout(TIMEOUT_MS)
    blocked: list[str] = []
    for page in (customer, agent):
        page.on(
            "console",
            lambda message: (
                blocked.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
    expect.set_options(timeout=TIMEOUT_MS)

    # The agent is signed in with 2FA and watching the inbox before the customer writes.
    sign_in(agent, server.url, "tom")
    agent.evaluate("window.__loadedOnce = true")

    customer.goto(server.url + "/")
    customer.click("#kefu-launcher")
    chat = customer.frame_locator("#kefu-panel iframe")
    question = '我的USDT充值还没到账 <img src=x onerror="window.__pwned=1">'
    chat.locator("#chat-input").fill(question)
    chat.locator("#chat-send").click()
    expect(chat.locator(".bubble-customer").last).to_contain_text("我的USDT充值还没到账")
    expect(chat.locator(".bubble-customer[data-state]")).to_have_count(0)

    # The bot answers in Chinese with a help-center link (the visitor is not signed in, so no
    # lookup), as a link the customer can open. The first reply after the server started may
    # wait for the analysis worker to load its model and index.
    bot = chat.locator(".bubble-bot").first
    try:
        expect(bot).to_contain_text("为您找到以下内容", timeout=WORKER_START_MS)
    except AssertionError as error:
        raise AssertionError(f"{error}\n--- server log ---\n{server.output()[-4000:]}") from None
    expect(bot.locator("a[href*='/help/a/']")).to_have_count(1)

    # The new conversation appears in the agent's inbox without a reload.
    row = agent.locator("#inbox-table tbody tr", has_text="我的USDT充值还没到账")
    expect(row).to_have_count(1)
    assert agent.evaluate("window.__loadedOnce") is True
    row.locator("a.subject").click()
    expect(agent.locator("#stream")).to_contain_text("onerror")  # shown as text...
    assert agent.evaluate("window.__pwned") is None  # ...never run
    # The bot's turn is in the agent's view of the conversation, marked as the bot's.
    expect(agent.locator(".msg-bot").first).to_contain_text("/help/a/")
    expect(agent.locator("#live-status")).to_have_attribute("data-state", "online")
    agent.evaluate("window.__loadedOnce = true")  # the conversation page, from here on live

    # The agent types: the customer sees it. Then the agent answers.
    agent.fill("textarea[name=body]", "您好，我来帮您查询。")
    expect(chat.locator("#chat-typing")).not_to_be_empty()
    agent.click("#reply-send")
    expect(chat.locator(".bubble-agent").last).to_contain_text("您好，我来帮您查询。")
    expect(chat.locator(".bubble-agent .who").last).to_contain_text("Tom Walker")

    # The customer reloads the page: history comes back from the server, once.
    customer.reload()
    customer.wait_for_selector("#kefu-panel iframe")
    chat = customer.frame_locator("#kefu-panel iframe")
    expect(chat.locator(".bubble-agent")).to_have_count(1)
    expect(chat.locator(".bubble-customer")).to_have_count(1)

    # And the customer's next message reaches the open conversation live.
    chat.locator("#chat-input").fill("TxID 0x9f2c")
    chat.locator("#chat-input").press("Enter")
    expect(agent.locator("#stream")).to_contain_text("TxID 0x9f2c")
    # The background worker analyses both messages; the open console shows what each was
    # understood as without a reload (the second one's analysis arrives after the message).
    understood = agent.locator(".msg-customer .msg-nlu")
    expect(understood).to_have_count(2)
    expect(understood.first).to_have_attribute("data-intent", "deposit.not_credited")
    assert agent.evaluate("window.__loadedOnce") is True
    # Every page worked within its Content-Security-Policy: nothing was blocked.
    assert blocked == []
