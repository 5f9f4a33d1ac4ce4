"""The admin site of the back office: the business first on the index and in the side bar.

Installed as `core.admin_site.BackofficeAdminConfig` in place of `django.contrib.admin`, so
`admin.site` (and every `@admin.register`) is this site; every URL stays as it was.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

# Apps in the order a back-office clerk works in them; any app not named here follows, by name.
APP_ORDER = [
    "distributors",
    "orders",
    "commissions",
    "compliance",
    "core",
    "auth",
    "axes",
    "django_celery_beat",
    "token_blacklist",
]
# Within the business apps: the daily work first, the reference tables last.
MODEL_ORDER = {
    "distributors": ["Distributor", "SponsorChange"],
    "orders": ["Order", "Customer", "Demonstration", "Return", "BuybackRequest", "HostCredit", "Product"],
    "commissions": [
        "Period",
        "CloseRun",
        "Statement",
        "PayoutBatch",
        "Payout",
        "Adjustment",
        "LedgerLine",
        "DistributorPeriod",
        "Plan",
    ],
}

# Apps whose models the index lists in another app's section: periods and plan versions are where
# a clerk starts and reads the close, so they stay under Commissions (their app, plans, sits below
# orders for the order of imports, not for the clerk). /admin/plans/ lists them as well.
SHOWN_WITH = {"plans": "commissions"}


def _position(order: list[str], key: str) -> tuple[int, str]:
    return (order.index(key) if key in order else len(order), key)


def _model_key(order: list[str], model: dict) -> tuple[int, str]:
    return (_position(order, model["object_name"])[0], str(model["name"]))


class BackofficeAdminSite(admin.AdminSite):
    site_header = _("Backoffice")
    site_title = _("Backoffice")
    index_title = _("Back office")
    # The lists are wide (money columns); the index and the breadcrumbs are the navigation.
    enable_nav_sidebar = False

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """A distributor signed in to the portal who opens the admin is sent back to the portal,
        not shown a staff login (a distributor typing their password here is told so by the form)."""
        from core.api.permissions import actor_distributor

        user = request.user
        if user.is_authenticated and not user.is_staff and actor_distributor(user) is not None:
            messages.info(request, _("The admin is for the company's staff. This is your portal."))
            return redirect("portal:dashboard")
        return super().login(request, extra_context)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        apps = super().get_app_list(request, app_label)
        for guest, host in SHOWN_WITH.items():
            if app_label == host:  # the host's own page lists the guest's models too
                apps += super().get_app_list(request, guest)
            if app_label in (None, host):
                _fold(apps, guest, host)
        apps.sort(key=lambda app: _position(APP_ORDER, app["app_label"]))
        for app in apps:
            order = MODEL_ORDER.get(app["app_label"], [])
            # Named models in their order, any other after them alphabetically (as Django lists them).
            app["models"].sort(key=lambda model: _model_key(order, model))
        return apps


def _fold(apps: list[dict], guest: str, host: str) -> None:
    """List the models of app `guest` in the entry of app `host`; without a host entry (no
    permission on any of its models) the guest keeps its own."""
    by_label = {app["app_label"]: app for app in apps}
    if guest in by_label and host in by_label:
        by_label[host]["models"].extend(by_label[guest]["models"])
        apps.remove(by_label[guest])


class BackofficeAdminConfig(AdminConfig):
    default_site = "core.admin_site.BackofficeAdminSite"
