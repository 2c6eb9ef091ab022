"""Routing through the real product in Chromium: an agent goes online and is given the urgent
ticket waiting in their queue, live; the supervisor's SLA board shows its clock; closing the
console takes the agent offline."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.test_chat_in_browser import TIMEOUT_MS, WORKER_START_MS, browser, sign_in
from tests.servers import Server, fresh_database, kefu_servers, scaleout_urls

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the fixture, shared with the chat test
FAST_SWEEP = {
    "KEFU_ROUTING_SWEEP_SECONDS": "1",
    "KEFU_ROUTING_DISCONNECT_GRACE_SECONDS": "2",
}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    urls = scaleout_urls()
    if urls is None:
        with kefu_servers(1, settings=FAST_SWEEP) as servers:
            yield servers[0]
        return
    database_url, redis_url = urls
    with (
        fresh_database(database_url) as database,
        kefu_servers(1, database_url=database, redis_url=redis_url, settings=FAST_SWEEP) as servers,
    ):
        yield servers[0]


def test_an_agent_going_online_is_given_the_waiting_urgent_ticket(
    server: Server, browser: object
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    ticket = httpx.post(
        server.url + "/api/v1/tickets",
        json={
            "email": "victim@example.com",
            "name": "王先生",
            "subject": "账户被盗",
            "body": "我的账户被盗了！有人登录了我的账号，把我的 USDT 都提走了，请马上冻结！！！",
        },
        timeout=10,
    )
    assert ticket.status_code == 201
    number = ticket.json()["number"]

    # Both demo staff chose Chinese for the console.
    supervisor = browser.new_context(locale="zh-CN").new_page()  # type: ignore[attr-defined]
    supervisor.set_default_timeout(TIMEOUT_MS)
    sign_in(supervisor, server.url, "chen.jing")
    supervisor.goto(server.url + "/console/sla/")
    # The analysis worker understands the ticket and routes it (the first one may wait for
    # the worker to load its model); nobody is online, so it waits with its due time.
    clock = supervisor.locator("#clock-table tr", has_text=f"#{number}")
    try:
        expect(clock).to_contain_text("紧急", timeout=WORKER_START_MS)
    except AssertionError as error:
        raise AssertionError(f"{error}\n--- server log ---\n{server.output()[-4000:]}") from None
    expect(clock).to_contain_text("未分配")

    agent_context = browser.new_context(locale="zh-CN")  # type: ignore[attr-defined]
    agent = agent_context.new_page()
    agent.set_default_timeout(TIMEOUT_MS)
    sign_in(agent, server.url, "li.na")  # account security
    expect(agent.locator("#presence-select")).to_have_value("offline")
    agent.select_option("#presence-select", "online")

    # Given to her at once, and her inbox shows it without a reload.
    row = agent.locator("#inbox-table tbody tr", has_text="账户被盗")
    expect(row).to_contain_text("李娜")
    row.locator("a.subject").click()
    expect(agent.locator("#routing-card")).to_contain_text("+60")
    expect(agent.locator("#routing-card")).to_contain_text("紧急信号")

    # The board follows (it refreshes itself): assigned, clock still running.
    expect(clock).to_contain_text("Li Na", timeout=20_000)

    # She closes every console: after the short grace the sweep takes her offline.
    agent_context.close()
    supervisor.goto(server.url + "/console/agents/")
    line = supervisor.locator("#agent-table tr", has_text="Li Na")
    for _attempt in range(20):
        if "离线" in line.inner_text():
            break
        supervisor.wait_for_timeout(500)
        supervisor.reload()
    expect(line).to_contain_text("离线")
