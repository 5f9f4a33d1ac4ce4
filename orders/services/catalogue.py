"""The catalogue: products with prices ex VAT, volumes per unit and the flags disclosed before sale."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict
from core.services import audit_record
from orders.models import DEFAULT_VAT_RATE, Product

_EDITABLE = {
    "name",
    "description",
    "retail_price",
    "wholesale_price",
    "vat_rate",
    "qv",
    "cv",
    "commissionable",
    "buyback_eligible",
    "is_seasonal",
    "is_discontinued",
    "is_promotional",
    "is_active",
}


def product_validate(product: Product) -> None:
    """The catalogue's rules on one product (no database access: forms call it too)."""
    if not product.sku.strip():
        raise ApplicationError(_("A product needs a SKU."), field="sku")
    if not product.name.strip():
        raise ApplicationError(_("A product needs a name."), field="name")
    labels = {
        "retail_price": _("Retail price"),
        "wholesale_price": _("Wholesale price"),
        "qv": _("Qv"),
        "cv": _("Cv"),
    }
    for field, label in labels.items():
        value = getattr(product, field)
        if value is None or Decimal(value) < 0:
            raise ApplicationError(_("%(field)s cannot be negative.") % {"field": label}, field=field)
    if not (Decimal("0") <= Decimal(product.vat_rate) < Decimal("1")):
        raise ApplicationError(_("VAT rate is a fraction between 0 and 1, e.g. 0.21."), field="vat_rate")
    if Decimal(product.wholesale_price) > Decimal(product.retail_price):
        raise ApplicationError(
            _("The wholesale price cannot be above the retail price."), field="wholesale_price"
        )
    # rules/compliance §1: starter kits and fees pay nobody, so they carry no volume at all.
    if not product.commissionable and (Decimal(product.qv) or Decimal(product.cv)):
        raise ApplicationError(
            _(
                "A non-commissionable product (starter kit, fee, sales aid) carries no QV or CV; "
                "set both to 0."
            ),
            field="qv",
        )


@transaction.atomic
def product_create(
    *,
    sku: str,
    name: str,
    retail_price: Decimal,
    wholesale_price: Decimal,
    qv: Decimal,
    cv: Decimal,
    vat_rate: Decimal = DEFAULT_VAT_RATE,
    description: str = "",
    commissionable: bool = True,
    buyback_eligible: bool = True,
    is_seasonal: bool = False,
    is_discontinued: bool = False,
    is_promotional: bool = False,
    is_active: bool = True,
    actor: Any = None,
) -> Product:
    product = Product(
        sku=sku.strip(),
        name=name.strip(),
        description=description,
        retail_price=Decimal(retail_price),
        wholesale_price=Decimal(wholesale_price),
        vat_rate=Decimal(vat_rate),
        qv=Decimal(qv),
        cv=Decimal(cv),
        commissionable=commissionable,
        buyback_eligible=buyback_eligible,
        is_seasonal=is_seasonal,
        is_discontinued=is_discontinued,
        is_promotional=is_promotional,
        is_active=is_active,
    )
    product_validate(product)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:
        raise Conflict(
            _("A product with SKU %(sku)s already exists.") % {"sku": product.sku}, field="sku"
        ) from exc
    audit_record(actor=actor, action="product.create", target=product)
    return product


@transaction.atomic
def product_update(*, product: Product, actor: Any = None, **changes: Any) -> Product:
    """Change catalogue data; order lines keep the price and volumes of their sale."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ApplicationError(
            _("These product fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    product = Product.objects.select_for_update(no_key=True).get(pk=product.pk)
    before = {field: str(getattr(product, field)) for field in changes}
    for field, value in changes.items():
        setattr(product, field, value)
    product_validate(product)
    product.save(update_fields=[*changes, "updated_at"])
    audit_record(
        actor=actor,
        action="product.update",
        target=product,
        data={"before": before, "after": {f: str(getattr(product, f)) for f in changes}},
    )
    return product


def product_set_active(*, product: Product, active: bool, actor: Any = None) -> Product:
    """Withdraw a product from sale (or bring it back); history is untouched."""
    return product_update(product=product, is_active=active, actor=actor)
