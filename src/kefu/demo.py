"""Demo data: a fictional exchange, its support staff, customers and conversations.

Loaded by ``kefu run`` on an empty database and by ``kefu demo``. Idempotent: a database that
already has the demo (or any staff) is left alone. Everything is created through the services,
exactly as the product would create it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from kefu.accounts import services as accounts
from kefu.accounts.models import Role, Team, User
from kefu.conversations import services as conversations
from kefu.conversations.models import (
    CannedResponse,
    Channel,
    Customer,
    Language,
    Priority,
    SecurityLevel,
    Status,
    VipTier,
)
from kefu.demo_staff import DEMO_PASSWORD, STAFF, DemoStaff
from kefu.exchange.demo.adapter import load_demo_exchange
from kefu.intake.channels.form import services as tickets
from kefu.intake.demo import load_demo_channels
from kefu.knowledge.search import current_index
from kefu.knowledge.services import load_content
from kefu.risk.demo import load_demo_lists
from kefu.routing.demo import load_demo_routing
from kefu.rules.demo import load_demo_rules


@dataclass(frozen=True)
class DemoResult:
    created: bool
    staff: tuple[DemoStaff, ...] = STAFF


def load_demo() -> DemoResult:
    """Create the demo exchange unless it (or any staff account) already exists."""
    if User.objects.exists():
        return DemoResult(created=False)
    with transaction.atomic():
        accounts.save_brand(
            name="NovaEx",
            name_zh="诺瓦交易所",
            tagline="Spot, futures and earn. Support in English and Chinese, 24/7.",
            tagline_zh="现货、合约与理财。中英文客服，全天候在线。",
            primary_color="#1559b3",
            website_url="https://novaex.example",
            support_email="support@novaex.example",
        )
        teams = {team.queue: team for team in accounts.ensure_teams()}
        staff = {person.username: _create_staff(person, teams) for person in STAFF}
        _create_canned_responses()
        _create_conversations(staff)
        load_content()
        current_index()  # embeds the articles' passages once, for every process to read
        load_demo_exchange()
        load_demo_routing()
        load_demo_rules()
        load_demo_lists()
        load_demo_channels(staff["admin"])
    return DemoResult(created=True)


def _create_staff(person: DemoStaff, teams: dict[str, Team]) -> User:
    return accounts.create_staff_user(
        username=person.username,
        password=DEMO_PASSWORD,
        role=Role(person.role),
        display_name=person.display_name,
        email=f"{person.username}@novaex.example",
        language=person.language,
        languages_spoken=list(person.languages),
        teams=[teams[queue] for queue in (person.queues or tuple(teams))],
        totp_secret=person.totp_secret,
    )


def _create_canned_responses() -> None:
    rows = [
        (
            "Greeting",
            Language.EN,
            "",
            "Hello, thank you for contacting NovaEx support. I am looking into this for you now.",
        ),
        ("问候", Language.ZH, "", "您好，感谢联系诺瓦交易所客服，我正在为您查询，请稍候。"),
        (
            "Ask for txid",
            Language.EN,
            "deposit_withdrawal",
            "Could you share the coin, the network you sent on, the amount and the transaction "
            "id (txid)? Please do not send your private key or seed phrase.",
        ),
        (
            "索要交易哈希",
            Language.ZH,
            "deposit_withdrawal",
            "请提供币种、转账网络、金额以及交易哈希（TxID）。请勿发送私钥或助记词。",
        ),
        (
            "Never share secrets",
            Language.EN,
            "account_security",
            "For your safety: NovaEx staff will never ask for your password, 2FA codes, "
            "seed phrase or private key. If someone does, it is a scam.",
        ),
        (
            "安全提醒",
            Language.ZH,
            "account_security",
            "安全提醒：诺瓦交易所工作人员绝不会索要您的密码、谷歌验证码、助记词或私钥。",
        ),
    ]
    for title, language, queue, body in rows:
        CannedResponse.objects.create(title=title, language=language, queue=queue, body=body)


def _create_conversations(staff: dict[str, User]) -> None:
    alice = conversations.identify_customer(
        external_id="10000231", name="Alice Zhang", email="alice@example.com", language="en"
    )
    wang = conversations.identify_customer(
        external_id="10004412", name="王小明", email="xiaoming@example.cn", language="zh"
    )
    ivan = conversations.identify_customer(
        external_id="10007789", name="Ivan Petrov", email="ivan@example.org", language="en"
    )
    liu = conversations.identify_customer(
        external_id="10009001", name="刘洋", email="liuyang@example.cn", language="zh"
    )
    _set_profile(alice, VipTier.VIP2, SecurityLevel.NORMAL)
    _set_profile(wang, VipTier.REGULAR, SecurityLevel.ELEVATED)
    _set_profile(liu, VipTier.VIP3, SecurityLevel.NORMAL)

    # Open, unassigned: a Chinese deposit question waiting for the deposits team.
    conversations.start_conversation(
        customer=wang,
        channel=Channel.WIDGET,
        queue="deposit_withdrawal",
        body="你好，我两个小时前从别的平台提了 500 USDT 到你们这边，走的 TRC20，到现在还没到账，"
        "TxID 是 7f3c9a1be2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5",
    )

    # Open, assigned to Li Na: suspected account takeover, urgent.
    takeover = conversations.start_conversation(
        customer=alice,
        channel=Channel.WIDGET,
        queue="account_security",
        priority=Priority.URGENT,
        body="I just got an email that someone logged in from Brazil and my BTC balance is gone!! "
        "I did not do this. Please freeze my account now.",
    )
    conversations.assign_conversation(
        staff["chen.jing"], takeover.conversation.pk, assignee_id=staff["li.na"].pk
    )
    conversations.post_agent_message(
        staff["li.na"],
        takeover.conversation.pk,
        is_internal=True,
        body="Login from a new device in São Paulo 40 minutes ago, then a withdrawal to a new "
        "address. Asked risk team to hold pending withdrawals.",
    )
    conversations.post_agent_message(
        staff["li.na"],
        takeover.conversation.pk,
        body="I have frozen withdrawals on your account while we investigate. Please change your "
        "email password now and do not share any codes with anyone.",
    )

    # Pending: ticket from the form, answered, waiting on the customer.
    ticket = tickets.create_ticket(
        email="ivan@example.org",
        name="Ivan Petrov",
        subject="KYC rejected twice",
        body="My identity verification was rejected twice. The photo is clear. What is wrong?",
        language="en",
    )
    conversations.post_agent_message(
        staff["sara"],
        ticket.pk,
        set_status=Status.PENDING,
        body="Hi Ivan, the document was cut off at the bottom edge. Please upload a photo that "
        "shows all four corners of your passport, without glare.",
    )

    # Resolved: a Chinese futures question.
    futures = conversations.start_conversation(
        customer=liu,
        channel=Channel.WIDGET,
        queue="trading",
        body="合约爆仓了，我设置了止损为什么没触发？",
    )
    conversations.post_agent_message(
        staff["wang.wei"],
        futures.conversation.pk,
        set_status=Status.RESOLVED,
        body="您好，止损单在极端行情下按标记价格触发，当时标记价格没有到达您的止损价，"
        "详细的成交记录已发送到您的邮箱。",
    )

    # A customer pasted a 2FA code: it was redacted before it was stored.
    conversations.start_conversation(
        customer=ivan,
        channel=Channel.WIDGET,
        queue="account_security",
        body="I lost my phone. My google auth code is 482913, can you reset 2FA?",
    )

    # Closed: a greeting.
    closed = conversations.start_conversation(
        customer=alice,
        channel=Channel.WIDGET,
        body="Thanks, all good now!",
    )
    conversations.change_status(staff["tom"], closed.conversation.pk, Status.CLOSED)


def _set_profile(customer: Customer, vip_tier: VipTier, security_level: SecurityLevel) -> None:
    conversations.update_customer_profile(
        customer, vip_tier=vip_tier, security_level=security_level
    )
