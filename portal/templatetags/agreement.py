"""`{% agreement_notice %}`: on every portal page, until the distributor accepts the current
distributor agreement, a notice linking to it (one query; nothing for other visitors)."""

from __future__ import annotations

from typing import Any

from django import template

from distributors.agreement_selectors import agreement_pending_for

register = template.Library()


@register.inclusion_tag("portal/_agreement_notice.html", takes_context=True)
def agreement_notice(context: Any) -> dict[str, Any]:
    request = context.get("request")
    distributor = getattr(request, "distributor", None)
    pending = agreement_pending_for(distributor) if distributor is not None else None
    on_its_page = getattr(getattr(request, "resolver_match", None), "url_name", "") == "profile-agreement"
    return {"pending": pending if not on_its_page else None}
