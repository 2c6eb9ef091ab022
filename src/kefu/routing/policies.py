"""Changes supervisors make to routing's set-up: agents' routing profiles, SLA policies,
business calendars and holidays. Each is audited in the same transaction."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from kefu.accounts.events import record_audit
from kefu.accounts.models import Team, User
from kefu.routing.models import AgentProfile, BusinessCalendar, Holiday, SlaPolicy
from kefu.routing.services import profile_for


def update_agent_profile(
    actor: User,
    user: User,
    *,
    teams: list[str],
    languages: list[str],
    seniority: int,
    chat_capacity: int,
    ticket_capacity: int,
    skill_levels: dict[str, int],
    ip_address: str | None = None,
) -> AgentProfile:
    """Set a staff member's teams, languages and routing profile (values checked by the form)."""
    with transaction.atomic():
        profile = profile_for(user)
        before = {
            "teams": sorted(user.teams.values_list("queue", flat=True)),
            "languages": user.languages_spoken,
            "seniority": profile.seniority,
            "chat_capacity": profile.chat_capacity,
            "ticket_capacity": profile.ticket_capacity,
            "skill_levels": profile.skill_levels,
        }
        user.teams.set(Team.objects.filter(queue__in=teams))
        User.objects.filter(pk=user.pk).update(languages_spoken=list(languages))
        AgentProfile.objects.filter(pk=profile.pk).update(
            seniority=seniority,
            chat_capacity=chat_capacity,
            ticket_capacity=ticket_capacity,
            skill_levels=skill_levels,
        )
        after = {
            "teams": sorted(teams),
            "languages": list(languages),
            "seniority": seniority,
            "chat_capacity": chat_capacity,
            "ticket_capacity": ticket_capacity,
            "skill_levels": skill_levels,
        }
        record_audit(
            actor,
            "routing.profile_changed",
            target_type="user",
            target_id=user.pk,
            before=before,
            after=after,
            ip_address=ip_address,
        )
    profile.refresh_from_db()
    return profile


def save_sla_policy(actor: User, policy: SlaPolicy, *, ip_address: str | None = None) -> SlaPolicy:
    """Store a checked (unsaved or changed) policy."""
    with transaction.atomic():
        created = policy.pk is None
        policy.save()
        record_audit(
            actor,
            "routing.sla_policy_created" if created else "routing.sla_policy_changed",
            target_type="sla_policy",
            target_id=policy.pk,
            after={
                "name": policy.name,
                "priority": policy.priority,
                "channel": policy.channel,
                "first_response_seconds": policy.first_response_seconds,
                "next_response_seconds": policy.next_response_seconds,
                "resolution_seconds": policy.resolution_seconds,
                "calendar": policy.calendar_id,
                "is_active": policy.is_active,
            },
            ip_address=ip_address,
        )
    return policy


def save_calendar(
    actor: User,
    calendar: BusinessCalendar | None,
    *,
    name: str,
    timezone: str,
    hours: dict[str, list[list[str]]],
    ip_address: str | None = None,
) -> BusinessCalendar:
    """Create or change a business calendar (hours checked by the form)."""
    with transaction.atomic():
        if calendar is None:
            calendar = BusinessCalendar.objects.create(name=name, timezone=timezone, hours=hours)
            action = "routing.calendar_created"
        else:
            BusinessCalendar.objects.filter(pk=calendar.pk).update(
                name=name, timezone=timezone, hours=hours
            )
            calendar.refresh_from_db()
            action = "routing.calendar_changed"
        record_audit(
            actor,
            action,
            target_type="business_calendar",
            target_id=calendar.pk,
            after={"name": name, "timezone": timezone, "hours": hours},
            ip_address=ip_address,
        )
    return calendar


def add_holiday(
    actor: User, calendar: BusinessCalendar, day: date, name: str, *, ip_address: str | None = None
) -> Holiday:
    with transaction.atomic():
        holiday, _created = Holiday.objects.update_or_create(
            calendar=calendar, date=day, defaults={"name": name}
        )
        record_audit(
            actor,
            "routing.holiday_added",
            target_type="business_calendar",
            target_id=calendar.pk,
            after={"date": str(day), "name": name},
            ip_address=ip_address,
        )
    return holiday


def remove_holiday(
    actor: User, calendar: BusinessCalendar, holiday_id: int, *, ip_address: str | None = None
) -> bool:
    with transaction.atomic():
        holiday = Holiday.objects.filter(calendar=calendar, pk=holiday_id).first()
        if holiday is None:
            return False
        holiday.delete()
        record_audit(
            actor,
            "routing.holiday_removed",
            target_type="business_calendar",
            target_id=calendar.pk,
            before={"date": str(holiday.date), "name": holiday.name},
            ip_address=ip_address,
        )
    return True
