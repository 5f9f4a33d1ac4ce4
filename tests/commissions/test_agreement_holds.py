"""A distributor accepts the current distributor agreement before they are paid: until then their
payout is held (reason AGREEMENT), owed, and the first batch after they accept pays it. When every
payout still to pay is held, no batch is made: the holds are recorded and the caller is told
"nothing to pay" (service, admin, command)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from commissions.models import Payout, PayoutBatch, PayoutHold, PayoutHoldReason, Statement
from commissions.services.payouts import payout_batch_create
from core.models import AuditEntry
from distributors.agreements import AcceptanceChannel, AgreementAcceptance
from distributors.demo import seed_bank_accounts
from distributors.models import BankAccount, Distributor
from distributors.services.agreements import agreement_accept
from tests.distributors.agreement_helpers import published_version

from .closing import EXAMPLES, close, default_plan, period

pytestmark = pytest.mark.django_db


@pytest.fixture
def s1_closed():
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    seed_bank_accounts()
    default_plan()
    return close("2026-10")


def d(external_id: str) -> Distributor:
    return Distributor.objects.get(external_id=external_id)


def paper(staff, *external_ids: str, version) -> None:
    for external_id in external_ids:
        agreement_accept(
            distributor=d(external_id), version=version, actor=staff, language="nl",
            channel=AcceptanceChannel.PAPER, note="signed",
        )  # fmt: skip


def payout_of(external_id: str, run) -> Decimal:
    return Statement.objects.get(run=run, distributor__external_id=external_id).payout


EARNERS = ["A", "B", "C", "D", "F", "G", "H", "I", "J", "K"]


def test_no_agreement_published_holds_nobody(s1_closed):
    batch = payout_batch_create(period=period("2026-10"))
    assert batch.count == 10 and not PayoutHold.objects.exists()


def test_who_has_not_accepted_is_held_and_paid_by_the_first_batch_after_accepting(admin_user, s1_closed):
    version = published_version(admin_user)
    paper(admin_user, *[e for e in EARNERS if e not in ("B", "C")], version=version)
    BankAccount.objects.filter(distributor=d("D")).delete()  # held for its own reason
    batch = payout_batch_create(period=period("2026-10"))
    held = {
        h.distributor.external_id: (h.reason, h.amount)
        for h in PayoutHold.objects.select_related("distributor")
    }
    assert held == {
        "B": (PayoutHoldReason.AGREEMENT, payout_of("B", s1_closed)),
        "C": (PayoutHoldReason.AGREEMENT, payout_of("C", s1_closed)),
        "D": (PayoutHoldReason.NO_BANK_ACCOUNT, payout_of("D", s1_closed)),
    }
    assert batch.count == 7
    assert batch.total == Decimal("1097.50") - sum(amount for _reason, amount in held.values())
    assert not Payout.objects.filter(distributor__external_id__in=["B", "C", "D"]).exists()

    paper(admin_user, "B", version=version)
    second = payout_batch_create(period=period("2026-10"))
    assert list(second.payouts.values_list("distributor__external_id", "amount")) == [
        ("B", payout_of("B", s1_closed))
    ]
    assert PayoutHold.objects.get(distributor=d("B")).released_by == second
    still = PayoutHold.objects.filter(released_by__isnull=True).values_list(
        "distributor__external_id", "reason"
    )
    assert set(still) == {("C", PayoutHoldReason.AGREEMENT), ("D", PayoutHoldReason.NO_BANK_ACCOUNT)}


def test_when_every_payout_is_held_the_holds_are_recorded_and_nothing_is_paid(admin_user, s1_closed):
    published_version(admin_user)
    assert payout_batch_create(period=period("2026-10"), actor=admin_user) is None
    assert not PayoutBatch.objects.exists()
    holds = PayoutHold.objects.all()
    assert holds.count() == 10 and {h.reason for h in holds} == {PayoutHoldReason.AGREEMENT}
    assert {h.batch_id for h in holds} == {None} and sum(h.amount for h in holds) == Decimal("1097.50")
    assert AuditEntry.objects.filter(action="commissions.payout_batch_all_held").count() == 1
    # Asked again: the same holds, not doubled.
    assert payout_batch_create(period=period("2026-10")) is None
    assert PayoutHold.objects.count() == 10


def test_the_first_batch_after_an_all_held_month_pays_who_accepted(admin_user, s1_closed):
    version = published_version(admin_user)
    assert payout_batch_create(period=period("2026-10")) is None
    paper(admin_user, "A", version=version)
    batch = payout_batch_create(period=period("2026-10"))
    assert list(batch.payouts.values_list("distributor__external_id", flat=True)) == ["A"]
    assert PayoutHold.objects.get(distributor=d("A")).released_by == batch
    assert PayoutHold.objects.filter(released_by__isnull=True, batch=batch).count() == 9


def test_the_command_says_nothing_to_pay_and_writes_no_file(admin_user, s1_closed, tmp_path):
    published_version(admin_user)
    out, bank = io.StringIO(), tmp_path / "bank.csv"
    call_command("payout_batch", "2026-10", str(bank), stdout=out)
    assert "Nothing to pay for 2026-10" in out.getvalue() and not bank.exists()
    assert PayoutHold.objects.filter(batch__isnull=True).count() == 10


def test_the_admin_says_nothing_to_pay_without_an_error_page(admin_client, admin_user, s1_closed):
    published_version(admin_user)
    response = admin_client.post(
        reverse("admin:plans_period_changelist"),
        {"action": "create_payout_batch", "_selected_action": [s1_closed.period_id]},
        follow=True,
    )
    assert response.status_code == 200
    assert "nothing to pay. Every payout still to pay is held (10)" in response.content.decode()
    assert PayoutHold.objects.count() == 10 and not AgreementAcceptance.objects.exists()


def test_a_terminated_distributor_is_held_only_for_a_version_in_force_while_they_earned(
    admin_user, s1_closed
):
    """v1 applied in October; v2 is published, then Bram (accepted v1) and Cor (accepted nothing)
    leave: Bram's October commission is paid, Cor's waits until staff record his signed v1."""
    import datetime as dt

    from distributors.agreements import AgreementVersion
    from distributors.services.status import distributor_terminate

    v1 = published_version(admin_user, 1)
    AgreementVersion.objects.filter(pk=v1.pk).update(
        published_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    )  # in force all October
    paper(admin_user, *[e for e in EARNERS if e != "C"], version=v1)
    v2 = published_version(admin_user, 2)
    paper(admin_user, *[e for e in EARNERS if e not in ("B", "C")], version=v2)
    for external_id in ("B", "C"):
        distributor_terminate(distributor=d(external_id), actor=admin_user, reason="leaves")

    batch = payout_batch_create(period=period("2026-10"))
    assert batch.count == 9 and batch.payouts.filter(distributor=d("B")).exists()
    held = PayoutHold.objects.get(released_by__isnull=True)
    assert (held.distributor, held.reason) == (d("C"), PayoutHoldReason.AGREEMENT)

    # Staff record Cor's signed copy of v1, which he worked under (no longer the current version).
    paper(admin_user, "C", version=v1)
    again = payout_batch_create(period=period("2026-10"))
    assert list(again.payouts.values_list("distributor__external_id", "amount")) == [
        ("C", payout_of("C", s1_closed))
    ]
    assert PayoutHold.objects.get(distributor=d("C")).released_by == again
