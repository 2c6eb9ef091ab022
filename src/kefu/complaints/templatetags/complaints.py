"""``{% case_for conversation as case %}`` and ``{{ event|case_event_summary }}``: complaint
cases on pages of other apps (the conversation's side bar and stream, the tracking page)."""

from __future__ import annotations

from django import template
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kefu.complaints.access import current_case
from kefu.complaints.events import CaseEvent
from kefu.complaints.models import Case, CaseSource
from kefu.conversations.models import Conversation, TimelineEvent

register = template.Library()

SUMMARIES: dict[str, Promise] = {
    CaseEvent.ESCALATION_REQUESTED: _("the customer wants a supervisor to look at it"),
    CaseEvent.NOTE_ADDED: _("investigation note added"),
    CaseEvent.INVESTIGATING: _("investigation started"),
    CaseEvent.RESOLUTION_PROPOSED: _("resolution sent to the customer"),
    CaseEvent.CONFIRMED: _("the customer confirmed the resolution"),
    CaseEvent.CLOSED: _("closed by staff"),
    CaseEvent.OVERDUE: _("overdue; the owner was told"),
}


@register.simple_tag
def case_for(conversation: Conversation) -> Case | None:
    """The conversation's open case, else its latest closed one (one query)."""
    return current_case(conversation)


@register.filter
def case_event_summary(event: TimelineEvent) -> str:
    """What a case event on the timeline says, in the reader's language (no queries)."""
    data = event.data
    kind = str(data.get("event", ""))
    owner = str(data.get("owner_name", ""))
    if kind == CaseEvent.OPENED:
        source = str(data.get("source", ""))
        label = CaseSource(source).label if source in CaseSource.values else source
        return str(_("%(source)s; owner: %(owner)s") % {"source": label, "owner": owner})
    if kind == CaseEvent.REASSIGNED:
        return str(_("new owner: %(owner)s") % {"owner": owner})
    if kind == CaseEvent.REJECTED:
        text = str(
            _("the customer is not satisfied: %(comment)s")
            % {"comment": data.get("comment") or "—"}
        )
        if data.get("escalated"):
            text += " · " + str(_("escalated to %(owner)s") % {"owner": owner})
        return text
    return str(SUMMARIES.get(kind, ""))
