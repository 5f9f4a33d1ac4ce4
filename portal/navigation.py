"""The portal's navigation, in the order the issue names (the distributor's month, left to right)."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

# (URL name in the "portal" namespace, label). The context keeps these labels apart from the
# admin's words of the same spelling ("Dashboard" is "Overzicht" here).
NAVIGATION = [
    ("dashboard", pgettext_lazy("portal navigation", "Dashboard")),
    ("team", pgettext_lazy("portal navigation", "Team")),
    ("customers", pgettext_lazy("portal navigation", "Customers")),
    ("orders", pgettext_lazy("portal navigation", "Orders")),
    ("demonstrations", pgettext_lazy("portal navigation", "Demonstrations")),
    ("buyback", pgettext_lazy("portal navigation", "Buy-back")),
    ("statements", pgettext_lazy("portal navigation", "Statements")),
    ("profile", pgettext_lazy("portal navigation", "My data")),
]
# The first part of the portal's URLs names the section a page belongs to ("orders/12/" is Orders).
SECTION_PREFIXES = {
    "": "dashboard",
    "team": "team",
    "customers": "customers",
    "orders": "orders",
    "demonstrations": "demonstrations",
    "buyback": "buyback",
    "statements": "statements",
    "me": "profile",
}


def navigation(request) -> dict:
    """Context processor: the menu with the current section marked (portal pages only)."""
    match = getattr(request, "resolver_match", None)
    if match is None or "portal" not in match.namespaces or not request.user.is_authenticated:
        return {}
    route = match.route.removeprefix("portal/")
    section = SECTION_PREFIXES.get(route.split("/", 1)[0], "")
    return {
        "portal_navigation": [
            {"name": name, "label": label, "current": name == section} for name, label in NAVIGATION
        ]
    }
