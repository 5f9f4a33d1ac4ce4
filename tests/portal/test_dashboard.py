"""The dashboard (/portal/): the open month at a glance, the same figures as the API's /me/ and
/me/progress/, the projected earnings and team radar of the newest preview, a banner while a close
runs, and nothing of anyone else's.

    root ─ anna (self) ─ anton ─ arie ─ aafke        bert (other leg) ─ bob        ursula (unrelated)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from commissions.models import CloseRun, DistributorPeriod
from commissions.selectors.radar import team_radar
from commissions.selectors.rank_progress import rank_progress
from commissions.selectors.runs import last_final_run
from core.periods import period_label, period_of, previous_period
from distributors.models import Distributor
from plans.models import Period
from portal.charts import Bar, earnings_bar_chart
from tests.commissions.closing import close, default_plan

pytestmark = pytest.mark.django_db


def _this_month() -> str:
    return period_label(period_of(timezone.now()))


def _last_month() -> str:
    return period_label(previous_period(period_of(timezone.now())))


@pytest.fixture
def closes(net):
    """Everyone enrolled two months ago; last month closed (final), this month previewed."""
    Distributor.objects.update(enrolled_at=timezone.now() - dt.timedelta(days=70))
    default_plan()
    final = close(_last_month())
    assert final.status == "succeeded", final.error
    preview = close(_this_month(), preview=True)
    assert preview.status == "succeeded", preview.error
    return final, preview


def _rewrite(run, distributor, **values) -> None:
    # The rows of a closed period are immutable (a trigger); this test rewrites history on purpose.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        DistributorPeriod.objects.filter(run=run, distributor=distributor).update(**values)
        cursor.execute("SET LOCAL session_replication_role = origin")


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/portal/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_without_a_preview_the_page_says_so(portal, net):
    response = portal("anna").get("/portal/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "No calculation of this month yet: projected earnings follow the first one." in body
    assert "No rank report yet" in body
    assert response.context["preview"] is None
    # Anna's own lists: her planned demonstration, her orders, her open buy-back request.
    assert [d.pk for d in response.context["demonstrations"]] == [net.owned["anna"].demonstration.pk]
    assert {o.pk for o in response.context["orders"]} == {
        net.owned["anna"].pending_order.pk,
        net.owned["anna"].paid_order.pk,
    }
    assert [b.id for b in response.context["buybacks"]] == [net.owned["anna"].buyback.pk]
    for url in ("/portal/demonstrations/", "/portal/orders/", "/portal/buyback/"):
        assert f'href="{url}"' in body


def test_the_figures_equal_the_api_s_me_and_progress(portal, api, net):
    Distributor.objects.update(enrolled_at=timezone.now() - dt.timedelta(days=70))
    default_plan()
    close(_last_month())
    response = portal("anna").get("/portal/")
    assert response.status_code == 200
    me = api("anna").get("/api/v1/me/").json()["current_period"]
    standing = response.context["standing"]
    assert (standing.pv, standing.gv, standing.active) == (Decimal(me["pv"]), Decimal(me["gv"]), me["active"])
    assert me["paid_as_rank"] is None and standing.paid_as_rank is None  # no preview yet

    # No preview of this month yet: the rank report is /me/progress/'s, the last closed period's.
    progress = api("anna").get("/api/v1/me/progress/").json()
    report = response.context["report"]
    assert not report["is_preview"]
    e = report["explanation"]
    assert e.period == progress["period"]
    assert (e.pv, e.gv) == (Decimal(progress["pv"]), Decimal(progress["gv"]))
    assert e.paid_as_rank == progress["paid_as_rank"]["number"]
    assert e.active_frontline == progress["active_frontline"]
    assert report["next"].number == progress["next_rank"]["number"]
    assert [(r.label, r.required_text, r.actual_text, r.met) for r in report["next"].requirements] == [
        (r["label"], r["required"], r["actual"], r["met"]) for r in progress["next_rank"]["requirements"]
    ]
    body = response.content.decode()
    assert f"As of the close of {previous_period(period_of(timezone.now())):%B %Y}" in body
    assert "<progress" in body


def test_with_a_preview_the_month_so_far_and_projected_earnings(portal, api, net, closes):
    _final, preview = closes
    response = portal("anna").get("/portal/")
    assert response.status_code == 200
    body = response.content.decode()
    report = response.context["report"]
    assert report["is_preview"] and report["explanation"].run_id == preview.pk
    expected = rank_progress(net.anna, preview)
    assert (report["explanation"].pv, report["explanation"].gv) == (expected.pv, expected.gv)
    # The month so far is /me/'s: GV and the rank so far from the preview, with its moment.
    standing = response.context["standing"]
    assert (standing.gv_source, standing.gv_as_of) == ("preview", preview.finished_at)
    assert standing.paid_as_rank == expected.paid_as_rank
    me = api("anna").get("/api/v1/me/").json()["current_period"]
    assert (Decimal(me["gv"]), me["paid_as_rank"]["number"]) == (standing.gv, standing.paid_as_rank)
    assert response.context["projected"] is not None
    assert "What the close would pay if the month ended now" in body
    assert "No calculation of this month yet" not in body
    # The chart of the closed periods, with its numbers as a table.
    assert '<svg class="chart"' in body and '<title id="earnings-chart-title">' in body
    assert [row["period"] for row in response.context["chart"]["rows"]] == [
        previous_period(period_of(timezone.now()))
    ]


def test_the_chart_is_an_accessible_svg_with_negative_bars_below_the_line():
    svg = earnings_bar_chart(
        [Bar(dt.date(2026, 9, 1), Decimal("120.50")), Bar(dt.date(2026, 10, 1), Decimal("-20.00"))],
        title="Earnings <title>",
        description="Two periods",
        chart_id="c",
    )
    assert svg.startswith('<svg class="chart" id="c"') and 'aria-labelledby="c-title c-desc"' in svg
    assert '<title id="c-title">Earnings &lt;title&gt;</title><desc id="c-desc">Two periods</desc>' in svg
    assert svg.count('class="bar"') == 1 and svg.count('class="bar negative"') == 1
    assert "<title>October 2026: €\u00a0-20.00</title>" in svg
    assert earnings_bar_chart([], title="t", description="d", chart_id="e") == ""


def test_the_page_reads_a_bounded_number_of_queries(portal, net, closes, django_assert_max_num_queries):
    client = portal("anna")
    # A cold page (the live standing not cached yet): about 33 queries, whatever the downline's size.
    with django_assert_max_num_queries(35):
        assert client.get("/portal/").status_code == 200


def test_the_radar_lists_a_member_active_last_month_but_not_now(portal, net, closes):
    final, preview = closes
    _rewrite(final, net.anton, active=True, gv=Decimal("500"))
    _rewrite(final, net.bob, active=True)  # bert's leg: never on anna's page
    response = portal("anna").get("/portal/")
    radar = response.context["radar"]
    assert [m.external_id for m in radar.dropping_out] == [net.anton.external_id]
    assert radar.looked_at == 2  # anton (frontline) and arie (his frontline); aafke is level 3
    body = response.content.decode()
    assert "Anton Akker" in body and "Active last month, not yet this month." in body
    assert "Bob Bakker" not in body
    # The selector alone: bert's radar has bob, not anton.
    bert = team_radar(net.bert, preview, last_final_run())
    assert [m.external_id for m in bert.dropping_out] == [net.bob.external_id]


def test_the_radar_shows_a_rank_at_risk_and_who_is_close_to_a_rank(portal, net, closes):
    final, preview = closes
    _rewrite(final, net.anton, active=True, paid_as_rank=2)
    # Anton this month: active, rank 1 so far; Senior Consultant (2) needs 500 GV and 2 active.
    _rewrite(preview, net.anton, active=True, pv=Decimal("100"), gv=Decimal("450"), paid_as_rank=1)
    _rewrite(preview, net.anton, active_frontline=2)
    radar = team_radar(net.anna, preview, last_final_run())
    assert [(m.external_id, m.rank_before, m.paid_as_rank) for m in radar.rank_at_risk] == [
        (net.anton.external_id, 2, 1)
    ]
    [anton] = radar.close_to_next
    assert (anton.next_rank, anton.share) == (2, Decimal("0.9"))
    assert [(gap.kind, gap.missing) for gap in anton.gaps] == [("gv", Decimal("50"))]
    body = portal("anna").get("/portal/").content.decode()
    assert "50 GV" in body and "1 · Consultant so far (last month 2 · Senior Consultant)" in body


def test_a_leader_without_downline_gets_no_radar(portal, net, closes):
    response = portal("aafke").get("/portal/")
    assert response.status_code == 200
    assert response.context["radar"] is None


def test_another_distributor_s_data_never_shows(portal, net, closes):
    anna = portal("anna").get("/portal/").content.decode()
    bert = portal("bert").get("/portal/").content.decode()
    assert "Gijs anna" in anna and "Gijs bert" not in anna
    assert "Gijs bert" in bert and "Gijs anna" not in bert
    ursula = portal("ursula").get("/portal/")
    assert ursula.status_code == 200
    assert ursula.context["orders"] == [] and ursula.context["buybacks"] == []
    assert "Gijs anna" not in ursula.content.decode()


def test_a_banner_while_a_close_runs_polls_until_done(portal, net):
    plan = default_plan()
    period = Period.objects.create(start=previous_period(period_of(timezone.now())))
    run = CloseRun.objects.create(  # fmt: skip
        period=period,
        plan=plan,
        kind="final",
        status="running",
        phase="write",
        chunks_total=10,
        chunks_done=4,
    )
    client = portal("anna")
    body = client.get("/portal/").content.decode()
    assert "Commissions are being calculated" in body
    assert 'hx-trigger="every 10s"' in body and 'hx-get="/portal/close-status/"' in body
    assert '<progress value="44" max="100"' in body

    partial = client.get("/portal/close-status/", HTTP_HX_REQUEST="true").content.decode()
    assert "Commissions are being calculated" in partial and "<html" not in partial

    CloseRun.objects.filter(pk=run.pk).update(status="succeeded", phase="done", chunks_done=10)
    partial = client.get("/portal/close-status/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial  # polling stops
    assert "The commissions are calculated." in partial
    assert "Commissions are being calculated" not in client.get("/portal/").content.decode()


def test_a_preview_does_not_show_the_banner(portal, net):
    plan = default_plan()
    period, _created = Period.objects.get_or_create(start=period_of(timezone.now()))
    CloseRun.objects.create(period=period, plan=plan, kind="preview", status="running")
    assert "Commissions are being calculated" not in portal("anna").get("/portal/").content.decode()


def test_the_dashboard_speaks_dutch(portal, net, closes):
    client = portal("anna")
    response = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200


def test_the_compliance_sentences_come_split_from_the_selector(portal, net, monkeypatch):
    """The customer requirement's sentences and the cap's, as the selector splits them: never cut
    by counting."""
    import dataclasses

    from commissions.selectors.customer_requirement import distributor_compliance_status
    from portal.views import dashboard

    status = distributor_compliance_status(net.anna, period_of(timezone.now()))
    assert status.sentences == status.customer_sentences + status.cap_sentences
    assert status.customer_sentences and status.cap_sentences
    assert "own purchases" in status.cap_sentences[0].lower()

    # However many sentences each rule has, each lands under its own heading.
    changed = dataclasses.replace(
        status,
        cap=Decimal("100"),
        customer_sentences=["Customer one.", "Customer two.", "Customer three."],
        cap_sentences=["Cap one."],
        sentences=["Customer one.", "Customer two.", "Customer three.", "Cap one."],
    )
    monkeypatch.setattr(dashboard, "distributor_compliance_status", lambda *args: changed)
    response = portal("anna").get("/portal/")
    assert response.context["customer_sentences"] == ["Customer one.", "Customer two.", "Customer three."]
    assert response.context["cap_sentences"] == ["Cap one."]


def test_earned_comes_from_the_statement_selector(portal, net, closes):
    from commissions.selectors.statements import final_statements_of

    statement = final_statements_of(net.anna).get()
    assert statement.earned == (
        statement.personal + statement.override + statement.clawbacks + statement.adjustments
    )
    rows = portal("anna").get("/portal/").context["chart"]["rows"]
    assert [row["earned"] for row in rows] == [statement.earned]


def test_the_chart_title_counts_its_periods_in_the_singular_too(portal, net, closes):
    body = portal("anna").get("/portal/").content.decode()
    assert "Earnings of the last closed period" in body
    assert "last 1 closed periods" not in body
