from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    """Compensation plan versions and the calendar of periods with their open/closing/closed state:
    below orders, so that a write dated into a period checks the period's lock without importing
    the close (which sits above orders, in commissions)."""

    name = "plans"
    verbose_name = _("Plans and periods")
