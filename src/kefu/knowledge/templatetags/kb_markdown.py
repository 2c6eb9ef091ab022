"""``{{ step|inline_markdown }}``: a step's bold, code and links, cleaned like article bodies."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from kefu.knowledge.content import render_inline

register = template.Library()


@register.filter
def inline_markdown(text: str) -> SafeString:
    return mark_safe(render_inline(str(text)))  # noqa: S308 - nh3 cleaned it
