"""``{{ event.data.actions|rule_actions }}``: what a fired rule did, in the reader's language."""

from __future__ import annotations

from django import template

from kefu.rules.display import describe_actions

register = template.Library()


@register.filter
def rule_actions(actions: object) -> str:
    """Plain text (the template escapes it): names and tags come from supervisors."""
    return describe_actions(actions)
