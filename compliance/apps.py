from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("Compliance")

    def ready(self) -> None:
        from commissions.signals import close_run_succeeded

        from .receivers import report_of_a_succeeded_run

        close_run_succeeded.connect(report_of_a_succeeded_run, dispatch_uid="compliance-report-of-run")
