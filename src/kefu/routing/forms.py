"""Forms of the routing pages: presence, an agent's routing profile, SLA policies, business
calendars and holidays."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kefu.conversations.models import Channel, Language, Priority
from kefu.lib.taxonomy import queue_choices
from kefu.routing.calendar import parse_hours
from kefu.routing.models import BusinessCalendar, Presence, Seniority, SlaPolicy

WEEKDAYS = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)
SKILL_CHOICES = [(1, _("can help")), (2, _("good")), (3, _("expert"))]


class PresenceForm(forms.Form):
    presence = forms.ChoiceField(label=_("Presence"), choices=Presence.choices)


class AgentProfileForm(forms.Form):
    """Teams, languages, seniority, capacity and a skill level per team queue."""

    teams = forms.MultipleChoiceField(
        label=_("Teams"), choices=queue_choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages spoken"),
        choices=Language.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    seniority = forms.TypedChoiceField(label=_("Seniority"), choices=Seniority.choices, coerce=int)
    chat_capacity = forms.IntegerField(label=_("Concurrent chats"), min_value=0, max_value=50)
    ticket_capacity = forms.IntegerField(label=_("Open tickets"), min_value=0, max_value=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for queue, name in queue_choices():
            self.fields[f"skill_{queue}"] = forms.TypedChoiceField(
                label=name, choices=SKILL_CHOICES, coerce=int, initial=2, required=False
            )

    def skill_levels(self) -> dict[str, int]:
        return {
            queue: self.cleaned_data[f"skill_{queue}"]
            for queue, _name in queue_choices()
            if self.cleaned_data.get(f"skill_{queue}")
        }


class SlaPolicyForm(forms.ModelForm[SlaPolicy]):
    """Targets are entered in minutes."""

    first_response_minutes = forms.IntegerField(
        label=_("First response within (minutes)"), min_value=1, max_value=60 * 24 * 30
    )
    next_response_minutes = forms.IntegerField(
        label=_("Next response within (minutes)"), min_value=1, max_value=60 * 24 * 30
    )
    resolution_minutes = forms.IntegerField(
        label=_("Resolution within (minutes)"), min_value=1, max_value=60 * 24 * 90
    )
    escalation_step_minutes = forms.IntegerField(
        label=_("Escalate one level further after (minutes)"), min_value=1, max_value=60 * 24 * 7
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "position",
            "is_active",
            "priority",
            "channel",
            "warning_percent",
            "calendar",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        policy = self.instance
        if policy.pk:
            self.fields["first_response_minutes"].initial = policy.first_response_seconds // 60
            self.fields["next_response_minutes"].initial = policy.next_response_seconds // 60
            self.fields["resolution_minutes"].initial = policy.resolution_seconds // 60
            self.fields["escalation_step_minutes"].initial = policy.escalation_step_seconds // 60
        else:
            self.fields["escalation_step_minutes"].initial = 15
        priority = self.fields["priority"]
        if isinstance(priority, forms.ChoiceField):
            priority.choices = [("", _("any priority")), *Priority.choices]
        channel = self.fields["channel"]
        if isinstance(channel, forms.ChoiceField):
            channel.choices = [("", _("any channel")), *Channel.choices]

    def save(self, commit: bool = True) -> SlaPolicy:
        policy = super().save(commit=False)
        policy.first_response_seconds = self.cleaned_data["first_response_minutes"] * 60
        policy.next_response_seconds = self.cleaned_data["next_response_minutes"] * 60
        policy.resolution_seconds = self.cleaned_data["resolution_minutes"] * 60
        policy.escalation_step_seconds = self.cleaned_data["escalation_step_minutes"] * 60
        if commit:
            policy.save()
        return policy


def format_spans(spans: list[list[str]]) -> str:
    return ", ".join(f"{start}-{end}" for start, end in spans)


class BusinessCalendarForm(forms.Form):
    """A name, a time zone and each weekday's opening spans as "09:00-12:00, 13:00-18:00"."""

    name = forms.CharField(label=_("Name"), max_length=80)
    timezone = forms.CharField(label=_("Time zone"), max_length=60, initial="Asia/Shanghai")

    def __init__(self, *args: Any, instance: BusinessCalendar | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "timezone": instance.timezone,
                **{
                    f"day_{day}": format_spans(instance.hours.get(str(day), [])) for day in range(7)
                },
            }
        super().__init__(*args, **kwargs)
        for day, label in enumerate(WEEKDAYS):
            self.fields[f"day_{day}"] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                help_text=_("Like 09:00-18:00; several spans with commas; empty: closed."),
            )

    def clean_timezone(self) -> str:
        zone = str(self.cleaned_data["timezone"]).strip()
        if zone not in available_timezones():
            raise ValidationError(_("Unknown time zone."))
        return zone

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        hours: dict[str, list[list[str]]] = {}
        for day in range(7):
            text = str(cleaned.get(f"day_{day}") or "").strip()
            spans = []
            for part in filter(None, (piece.strip() for piece in text.split(","))):
                start, _dash, end = part.partition("-")
                spans.append([start.strip(), end.strip()])
            hours[str(day)] = spans
        try:
            parse_hours(hours)
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        cleaned["hours"] = hours
        return cleaned


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=80, required=False)
