"""The demo's routing set-up: routing profiles for the demo staff, a Shanghai office calendar
with the 2027 public holidays, and SLA policies per priority. Called by ``kefu.demo``; the
demo's tickets are routed once the analysis worker has understood them, like any other."""

from __future__ import annotations

from datetime import date

from kefu.accounts.models import User
from kefu.conversations.models import Priority
from kefu.routing.models import AgentProfile, BusinessCalendar, Holiday, Seniority, SlaPolicy

HOLIDAYS_2027 = [
    (date(2027, 1, 1), "元旦 New Year's Day"),
    *[(date(2027, 2, day), "春节 Spring Festival") for day in range(6, 13)],
    (date(2027, 4, 5), "清明节 Qingming"),
    *[(date(2027, 5, day), "劳动节 Labour Day") for day in range(1, 6)],
    (date(2027, 6, 9), "端午节 Dragon Boat Festival"),
    (date(2027, 9, 15), "中秋节 Mid-Autumn Festival"),
    *[(date(2027, 10, day), "国庆节 National Day") for day in range(1, 8)],
]
# (name, priority, first response, next response, resolution) in minutes; low priority counts
# office hours only.
POLICIES = [
    ("Urgent · around the clock", Priority.URGENT, 5, 10, 4 * 60),
    ("High · around the clock", Priority.HIGH, 15, 30, 8 * 60),
    ("Normal · around the clock", Priority.NORMAL, 60, 120, 24 * 60),
    ("Low · office hours", Priority.LOW, 4 * 60, 8 * 60, 3 * 24 * 60),
]
SENIORITY = {"admin": Seniority.LEAD, "chen.jing": Seniority.LEAD, "li.na": Seniority.SENIOR}


def load_demo_routing() -> None:
    """Create the demo's routing set-up: profiles, the office calendar, SLA policies."""
    for user in User.objects.all():
        AgentProfile.objects.get_or_create(
            user=user,
            defaults={
                "seniority": SENIORITY.get(user.username, Seniority.REGULAR),
                "chat_capacity": 4,
                "ticket_capacity": 25,
            },
        )
    office, _created = BusinessCalendar.objects.get_or_create(
        name="Shanghai office",
        defaults={
            "timezone": "Asia/Shanghai",
            "hours": {str(day): [["09:00", "18:00"]] for day in range(5)},
        },
    )
    for day, name in HOLIDAYS_2027:
        Holiday.objects.get_or_create(calendar=office, date=day, defaults={"name": name})
    for position, (name, priority, first, following, resolution) in enumerate(POLICIES, 1):
        SlaPolicy.objects.get_or_create(
            name=name,
            defaults={
                "position": position * 10,
                "priority": priority,
                "first_response_seconds": first * 60,
                "next_response_seconds": following * 60,
                "resolution_seconds": resolution * 60,
                "calendar": office if priority == Priority.LOW else None,
            },
        )
