"""Demo shop orders: a few customers order online through their distributor's shop (one of them
paid since), and one guest through a planned party's shopping link. Written through the shop's own
service (orders.services.shop), as a visitor's checkout writes them; their confirmation mails go
to the configured mail backend (the console in the demo)."""

from __future__ import annotations

from io import TextIOBase

from distributors.models import Distributor, DistributorStatus
from orders.models import Demonstration, DemonstrationStatus, OrderChannel
from orders.selectors.shop import shop_catalogue
from orders.services import order_pay
from orders.services.shop import ShopContact, shop_order_place

SHOPPERS = [
    ("Lotte", "de Boer", "lotte.deboer@example.com", "Kerkstraat 12\n3511 LX Utrecht\nNederland"),
    ("Sem", "Jansen", "sem.jansen@example.com", "Dorpsweg 4\n1234 AB Ouderkerk\nNederland"),
]
GUEST = ("Noor", "Visser", "noor.visser@example.com", "Molenlaan 8\n2011 AA Haarlem\nNederland")


def _contact(person: tuple[str, str, str, str]) -> ShopContact:
    first, last, email, address = person
    return ShopContact(first_name=first, last_name=last, email=email, phone="", delivery_address=address)


def seed_shop_orders(*, stdout: TextIOBase | None = None) -> int:
    """Three shop orders; nothing when the demo has them already (seed_demo runs once)."""
    from orders.models import Order

    if Order.objects.exclude(channel=OrderChannel.DIRECT).exists():
        return 0
    products = shop_catalogue()
    if not products:
        return 0
    demonstration = (
        Demonstration.objects.filter(status=DemonstrationStatus.PLANNED)
        .exclude(consultant__status=DistributorStatus.TERMINATED)
        .select_related("consultant")
        .order_by("-held_at", "-id")
        .first()
    )
    seller = (
        demonstration.consultant
        if demonstration is not None
        else Distributor.objects.exclude(status=DistributorStatus.TERMINATED)
        .exclude(user=None)
        .order_by("id")
        .first()
    )
    if seller is None:
        return 0
    made = []
    for number, person in enumerate(SHOPPERS):
        made.append(
            shop_order_place(
                distributor=seller,
                lines=[(products[number % len(products)].pk, 1), (products[-1].pk, 2)],
                contact=_contact(person),
                withdrawal_acknowledged=True,
                language="nl",
            )
        )
    order_pay(order=made[0])
    if demonstration is not None:
        made.append(
            shop_order_place(
                demonstration=demonstration,
                lines=[(products[0].pk, 1)],
                contact=_contact(GUEST),
                withdrawal_acknowledged=True,
                language="en",
            )
        )
    if stdout is not None:
        stdout.write(
            f"Shop: {len(made)} online orders, shop of {seller.name} (/shop/{seller.referral_code}/)\n"
        )
    return len(made)
