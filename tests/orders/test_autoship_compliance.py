"""No autoship is ever required to stay active or to rank (docs/compliance.md, "Autoship").

Two proofs that are not tautologies: a plan document cannot express an autoship requirement
anywhere (validation refuses the key, wherever it is put), and the close gives exactly the same
statements to the same orders whether or not the distributors have autoships.
"""

import copy

import pytest
from django.core.management import call_command

from distributors.models import Distributor
from orders.models import Product
from orders.services.autoship import subscription_create, subscription_pause
from plans.document import PlanDocumentError, parse_plan_document
from tests.commissions.closing import EXAMPLES, close, default_plan, export
from tests.conftest import standard_plan_document

pytestmark = pytest.mark.django_db


def with_autoship_requirement(where: str) -> dict:
    document = copy.deepcopy(standard_plan_document())
    if where == "top":
        document["autoship"] = {"required": True, "min_qv": "100"}
    elif where == "activity":
        document["activity"]["autoship_required"] = True
    elif where == "rank":
        document["ranks"][1]["autoship"] = True
    elif where == "customer_requirement":
        document["customer_requirement"]["min_autoships"] = 1
    return document


def test_the_shipped_plan_is_valid():
    assert parse_plan_document(standard_plan_document()).activity_min_pv is not None


@pytest.mark.parametrize(
    ("where", "path"),
    [
        ("top", "autoship"),
        ("activity", "activity.autoship_required"),
        ("rank", "ranks[1].autoship"),
        ("customer_requirement", "customer_requirement.min_autoships"),
    ],
)
def test_a_plan_document_cannot_require_an_autoship(where, path):
    with pytest.raises(PlanDocumentError) as refused:
        parse_plan_document(with_autoship_requirement(where))
    problems = [problem["path"] for problem in refused.value.extra["problems"]]
    assert any(p.endswith(path) for p in problems), problems


def test_the_same_orders_give_the_same_ranks_and_pay_with_or_without_autoships():
    call_command("import_network", str(EXAMPLES / "s1"))
    default_plan()
    assert close("2026-10", preview=True).status == "succeeded"
    without = export("2026-10", preview=True)

    # Half of the network subscribes (own autoship), one pauses: nothing else changes.
    product = Product.objects.get(sku="TM1")
    for number, distributor in enumerate(Distributor.objects.order_by("external_id")):
        if number % 2 == 0:
            subscription = subscription_create(
                distributor=distributor,
                interval_unit="months",
                interval_count=1,
                day_of_month=1,
                lines=[(product, 2)],
            )
            if number == 2:
                subscription_pause(subscription=subscription)
    assert close("2026-10", preview=True).status == "succeeded"
    with_autoships = export("2026-10", preview=True)

    assert with_autoships == without
    # The example ranks people (it is not a network of zeros), so the equality says something.
    assert {row["paid_as_rank"] for row in without} - {"0"}
