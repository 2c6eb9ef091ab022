"""Template helpers of risk: alert reasons in words and the timeline summary."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from kefu.conversations.models import TimelineEvent
from kefu.risk.models import Alert, Detector, Severity

register = template.Library()


@register.filter
def alert_reason(alert: Alert) -> str:
    from kefu.risk.detectors import describe

    return describe(alert.detector, alert.params or {})


@register.filter
def severity_name(value: int) -> str:
    return str(Severity(value).label) if value in Severity.values else ""


@register.filter
def risk_event_summary(event: TimelineEvent) -> str:
    """ "High: New device, Account takeover pattern" for a ``risk_alert`` timeline event."""
    data = event.data or {}
    names = [
        str(Detector(name).label) for name in data.get("detectors", []) if name in Detector.values
    ]
    return _("%(severity)s: %(detectors)s") % {
        "severity": severity_name(data.get("severity", 0)),
        "detectors": ", ".join(names),
    }
