"""The admin of the close as a clerk uses it: the period page's buttons, numbers formatted per
language, ranks by name, explain by either id."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client, TestCase
from django.urls import reverse

from commissions.models import CloseRun, DistributorPeriod, LedgerLine, PayoutBatch
from distributors.demo import seed_bank_accounts
from distributors.models import Distributor
from plans.models import Period

from .closing import EXAMPLES, close, default_plan, period

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


@pytest.fixture
def s1_closed():
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    default_plan()
    return close("2026-10")


@pytest.fixture
def november(s1_closed):
    return Period.objects.create(start=period("2026-11"))


def _change(period_: Period) -> str:
    return reverse("admin:plans_period_change", args=[period_.pk])


# --- the period page: the close is started from buttons -------------------------------------------


def test_an_open_period_offers_the_final_close_and_a_preview(admin_client, november):
    page = admin_client.get(_change(november)).content.decode()
    assert f'href="{reverse("admin:commissions_period_final_close", args=[november.pk])}"' in page
    assert f'action="{reverse("admin:commissions_period_preview", args=[november.pk])}"' in page
    assert "Create the payout batch" not in page
    assert 'name="_save"' not in page  # nothing to edit by hand


def test_a_closed_period_offers_the_payout_batch(admin_client, s1_closed):
    page = admin_client.get(_change(s1_closed.period)).content.decode()
    assert f'action="{reverse("admin:commissions_period_payout_batch", args=[s1_closed.period_id])}"' in page
    assert "Start the final close" not in page


def test_the_preview_button_starts_a_preview_and_opens_its_run(admin_client, november):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin_client.post(reverse("admin:commissions_period_preview", args=[november.pk]))
    run = CloseRun.objects.get(period=november)
    assert (run.kind, run.status) == ("preview", "succeeded")
    assert response.url == reverse("admin:commissions_closerun_change", args=[run.pk])
    assert Period.objects.get(pk=november.pk).status == "open"


def test_the_final_close_asks_for_a_confirmation_first(admin_client, november):
    url = reverse("admin:commissions_period_final_close", args=[november.pk])
    confirm = admin_client.get(url)
    assert confirm.status_code == 200 and "Yes, start the final close" in confirm.content.decode()
    assert not CloseRun.objects.filter(period=november).exists()

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin_client.post(url)
    run = CloseRun.objects.get(period=november)
    assert (run.kind, run.status) == ("final", "succeeded")
    assert response.url == reverse("admin:commissions_closerun_change", args=[run.pk])
    assert Period.objects.get(pk=november.pk).status == "closed"


def test_a_refused_final_close_says_why_and_starts_nothing(admin_client, s1_closed):
    url = reverse("admin:commissions_period_final_close", args=[s1_closed.period_id])
    response = admin_client.post(url, follow=True)
    assert "2026-10 is already closed" in response.content.decode()
    assert CloseRun.objects.count() == 1


def test_the_payout_batch_button_creates_the_batch_once(admin_client, s1_closed):
    seed_bank_accounts()  # payouts go to a valid bank account (distributors.bank)
    url = reverse("admin:commissions_period_payout_batch", args=[s1_closed.period_id])
    response = admin_client.post(url, follow=True)
    batch = PayoutBatch.objects.get()
    assert response.redirect_chain[-1][0] == reverse("admin:commissions_payoutbatch_change", args=[batch.pk])
    page = response.content.decode()
    assert f"PAY-2026-10-001: 10 payouts, €{NBSP}1,097.50." in page
    assert f"€{NBSP}1,097.50" in page  # the batch page's total

    again = admin_client.post(url, follow=True)
    assert "already in a batch" in again.content.decode()
    assert PayoutBatch.objects.count() == 1


def test_the_buttons_take_only_a_post_with_its_csrf_token(admin_client, admin_user, november):
    url = reverse("admin:commissions_period_preview", args=[november.pk])
    assert admin_client.get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    assert strict.post(url).status_code == 403
    assert not CloseRun.objects.filter(period=november).exists()


def test_the_buttons_need_the_change_permission(client, django_user_model, november):
    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_period"))
    client.force_login(clerk)
    assert "Start a preview" not in client.get(_change(november)).content.decode()
    assert client.post(reverse("admin:commissions_period_preview", args=[november.pk])).status_code == 403
    assert not CloseRun.objects.filter(period=november).exists()


# --- numbers and ranks as a reader reads them ------------------------------------------------------


def test_the_run_page_formats_its_report_per_language(client, admin_user, s1_closed):
    url = reverse("admin:commissions_closerun_change", args=[s1_closed.pk])
    client.force_login(admin_user)
    english = client.get(url).content.decode()
    assert f"<tr><th>Total paid out</th><td>€{NBSP}1,097.50</td></tr>" in english
    assert "<tr><th>Paid as 3 · Team Leader</th><td>" in english
    assert "0.1180980" not in english and " s</div>" in english  # compute time in words
    client.cookies["django_language"] = "nl"
    dutch = client.get(url).content.decode()
    assert f"<td>€{NBSP}1.097,50</td>" in dutch


def test_money_and_points_columns_are_formatted(admin_client, s1_closed):
    statements = admin_client.get(reverse("admin:commissions_statement_changelist")).content.decode()
    assert f'<td class="field-payout_shown">€{NBSP}292.50</td>' in statements
    results = admin_client.get(reverse("admin:commissions_distributorperiod_changelist"))
    assert '<td class="field-paid_as_rank_named">3 · Team Leader</td>' in results.content.decode()


def test_the_paid_as_rank_filter_offers_names_and_filters(admin_client, s1_closed):
    url = reverse("admin:commissions_distributorperiod_changelist")
    assert ">3 · Team Leader</a>" in admin_client.get(url).content.decode()
    filtered = admin_client.get(url, {"paid_as_rank": "3"}).context["cl"].result_list
    expected = DistributorPeriod.objects.filter(paid_as_rank=3)
    assert sorted(r.pk for r in filtered) == sorted(expected.values_list("pk", flat=True))
    assert len(filtered) > 0


def test_explain_takes_the_internal_id_as_well_as_the_external_id(admin_client, s1_closed):
    anna = Distributor.objects.get(external_id="A")
    url = reverse("commissions_explain", args=[s1_closed.pk])
    by_pk = admin_client.get(url, {"distributor": str(anna.pk)})
    assert by_pk.status_code == 200 and "Explain Anna A (A)" in by_pk.content.decode()
    assert "Explain Anna A (A)" in admin_client.get(url, {"distributor": "A"}).content.decode()
    unknown = admin_client.get(url, {"distributor": "999999"})
    assert unknown.status_code == 404
    assert (
        "There is no distributor with the id or external id &#x27;999999&#x27;." in unknown.content.decode()
    )


def test_explain_refuses_a_number_that_is_one_persons_id_and_anothers_external_id(admin_client, s1_closed):
    anna = Distributor.objects.get(external_id="A")
    other = Distributor.objects.exclude(pk=anna.pk).order_by("pk").first()
    Distributor.objects.filter(pk=other.pk).update(external_id=str(anna.pk))
    page = admin_client.get(
        reverse("commissions_explain", args=[s1_closed.pk]), {"distributor": str(anna.pk)}
    )
    text = page.content.decode()
    assert page.status_code == 404 and page.context["e"] is None
    assert f"&#x27;{anna.pk}&#x27; names more than one distributor: " in text
    assert f"Anna A (id {anna.pk}, external id A, referral code {anna.referral_code})" in text
    assert f"{other.name} (id {other.pk}, external id {anna.pk}, referral code {other.referral_code})" in text
    by_code = admin_client.get(
        reverse("commissions_explain", args=[s1_closed.pk]), {"distributor": anna.referral_code}
    )
    assert "Explain Anna A (A)" in by_code.content.decode()


def test_read_only_pages_show_every_decimal_formatted_and_every_rank_named(admin_client, s1_closed):
    anna = Distributor.objects.get(external_id="A")
    result = DistributorPeriod.objects.get(run=s1_closed, distributor=anna)
    page = admin_client.get(
        reverse("admin:commissions_distributorperiod_change", args=[result.pk])
    ).content.decode()
    assert page.count("3 · Team Leader") >= 2  # paid-as rank and title
    assert ".000000" not in page  # no database scale (own_cv_share, rewardable_cv: 12 places)
    line = LedgerLine.objects.filter(run=s1_closed, distributor=anna, kind="override").order_by("pk").first()
    line_page = admin_client.get(
        reverse("admin:commissions_ledgerline_change", args=[line.pk])
    ).content.decode()
    assert f"€{NBSP}{line.amount:,.2f}" in line_page
    assert "0000000" not in line_page  # the rate as a percentage, the base as points
