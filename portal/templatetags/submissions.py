"""`{% submission_field %}`: the one-time token of a form that creates something (portal.submissions)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from portal.submissions import FIELD, new_token

register = template.Library()


@register.simple_tag
def submission_field() -> str:
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
