"""Build a believable Dutch demo company: network, catalogue, six months of sales, closed periods
with their payout batches (the newest still to pay), buy-back requests and a move in the tree.

It seeds every app, so it lives above them all, with the portal (the layers, pyproject.toml);
each app seeds its own part (`<app>.demo`)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from commissions.demo import seed_commissions
from distributors.agreement_demo import seed_agreement
from distributors.demo import demo_password, seed_moves, seed_network
from distributors.models import Distributor
from notifications.demo import muted, seed_notifications
from orders.demo import seed_buybacks, seed_sales
from orders.demo_autoship import seed_autoships
from orders.demo_shop import seed_shop_orders
from plans.services import plan_ensure_default
from portal.roles import SUPPORT

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin"
SUPPORT_USERNAME = "support"
SUPPORT_PASSWORD = "support"


class Command(BaseCommand):
    help = "Seed demo data: a distributor network, catalogue, customers, orders, demonstrations, closes."

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, default=2000, help="number of distributors (default 2000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed; same seed, same data")
        parser.add_argument("--months", type=int, default=6, help="months of order history (default 6)")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if distributors exist already (re-runs of make demo)",
        )

    def handle(self, *args, size: int, seed: int, months: int, if_empty: bool, **options):
        if size < 10:
            self.stderr.write("--size must be at least 10")
            raise SystemExit(2)
        existing = Distributor.objects.exists()
        if existing and if_empty:
            self.stdout.write("Demo data present already; not seeding again.")
            self._print_logins(self._existing_logins(seed))
            return
        if existing:
            self.stderr.write("The database holds distributors already; seed_demo only fills an empty one.")
            raise SystemExit(2)

        plan_ensure_default()
        with transaction.atomic():
            admin = self._ensure_admin()
            self._ensure_support()
            logins = seed_network(size=size, seed=seed, stdout=self.stdout)
        # Before the payout batches: the two who have not accepted it show held payouts.
        seed_agreement(actor=admin, stdout=self.stdout)
        # The bulk seeding sends no notifications; the last close then shows a few (console).
        with muted():
            seed_sales(seed=seed, months=months, stdout=self.stdout)
            seed_commissions(stdout=self.stdout, actor=admin)
            # After the closes, in the open month: what staff do between closes.
            seed_buybacks(actor=admin, stdout=self.stdout)
            seed_moves(actor=admin, stdout=self.stdout)
        seed_notifications(stdout=self.stdout)
        # Online orders through a shop and a party's shopping link (their confirmations: console).
        seed_shop_orders(stdout=self.stdout)
        # Autoships with today's orders, paid but for one awaiting its retry (its mail: console).
        seed_autoships(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Seeded {Distributor.objects.count()} distributors."))
        self._print_logins(logins)

    def _ensure_admin(self):
        User = get_user_model()
        admin = User.objects.filter(username=ADMIN_USERNAME).first()
        return admin or User.objects.create_superuser(ADMIN_USERNAME, "admin@example.nl", ADMIN_PASSWORD)

    def _ensure_support(self) -> None:
        """A staff member with the Support role (portal/roles.py): reads the admin, opens portals."""
        User = get_user_model()
        if not User.objects.filter(username=SUPPORT_USERNAME).exists():
            user = User.objects.create_user(
                SUPPORT_USERNAME, "support@example.nl", SUPPORT_PASSWORD, is_staff=True
            )
            user.groups.add(Group.objects.get(name=SUPPORT))

    def _existing_logins(self, seed: int) -> list[tuple[str, str]]:
        # The demo passwords are derived from the seed and the referral code (distributors.demo).
        logins = (
            Distributor.objects.filter(user__isnull=False)
            .order_by("id")
            .values_list("user__username", "referral_code")[:3]
        )
        return [(username, demo_password(seed, code)) for username, code in logins]

    def _print_logins(self, logins: list[tuple[str, str]]) -> None:
        self.stdout.write("")
        self.stdout.write("Distributor portal: http://127.0.0.1:8000/ (lands on the distributor's dashboard)")
        for username, password in logins:
            self.stdout.write(f"  distributor login:  {username} / {password}")
        self.stdout.write("Back office (staff): http://127.0.0.1:8000/admin/")
        self.stdout.write(f"  admin login:        {ADMIN_USERNAME} / {ADMIN_PASSWORD}")
        self.stdout.write(
            f"  support login:      {SUPPORT_USERNAME} / {SUPPORT_PASSWORD} (Support: opens a portal)"
        )
