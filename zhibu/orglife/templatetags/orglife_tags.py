"""Template helpers of the organizational-life pages (menu rights, short labels, minutes)."""

from __future__ import annotations

import re

import nh3
from django import template
from django.forms import BoundField
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

register = template.Library()
_TAG = re.compile(r"<[a-zA-Z/]")

SHORT_TYPE = {
    "general_meeting": _("大会"),
    "committee_meeting": _("支委"),
    "party_group_meeting": _("小组"),
    "party_lecture": _("党课"),
    "party_day": _("党日"),
    "org_life_meeting": _("生活会"),
    "democratic_life_meeting": _("民主"),
    "democratic_review": _("评议"),
    "heart_talk": _("谈心"),
}


@register.filter
def short_type(code: str) -> str:
    return SHORT_TYPE.get(code, code)


@register.filter
def minutes_html(text: str) -> SafeString:
    """Minutes as stored (HTML, sanitized by the service), cleaned again on the way out.

    Minutes typed into a plain textarea have no tags: their line breaks become paragraphs.
    """
    text = text or ""
    if not _TAG.search(text):
        text = linebreaks(text, autoescape=False)  # already HTML text: entities escaped
    return mark_safe(nh3.clean(text))  # noqa: S308 - sanitized just here


@register.filter
def invalid(field: BoundField) -> str:
    """The widget, marked aria-invalid when the field has errors (Pico shows it in red)."""
    if field.errors:
        return field.as_widget(attrs={"aria-invalid": "true"})
    return field.as_widget()
