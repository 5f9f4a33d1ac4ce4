from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Distributor portal")

    def ready(self) -> None:
        from portal import support  # noqa: F401  (the support sessions' audit receivers)
        from portal.roles import support_roles_ensure

        post_migrate.connect(support_roles_ensure, dispatch_uid="portal.roles")
