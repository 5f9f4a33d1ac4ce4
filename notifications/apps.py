from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from commissions.signals import close_run_succeeded
        from core.personal_data import personal_data_erased
        from distributors.signals import distributor_enrolled
        from orders.signals import autoship_payment_failed, buyback_decided

        from . import receivers

        close_run_succeeded.connect(receivers.close_run_succeeded, dispatch_uid="notifications-close")
        distributor_enrolled.connect(receivers.distributor_enrolled, dispatch_uid="notifications-enrolled")
        buyback_decided.connect(receivers.buyback_decided, dispatch_uid="notifications-buyback")
        personal_data_erased.connect(receivers.personal_data_erased, dispatch_uid="notifications-erased")
        autoship_payment_failed.connect(
            receivers.autoship_payment_failed, dispatch_uid="notifications-autoship-payment-failed"
        )
