"""An operator discards a final close that cannot finish (issue 16, "a way out for an operator"): its
lines, statements, results and chunks are gone, the ranks and titles it wrote are back as before,
the period is open, the audit log has the reason; and the next close is a clean one. A closed
period never changes, and the append-only rule refuses every other delete of a final close's rows."""

import datetime as dt
import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import TestCase
from django.urls import reverse

from commissions.close import close_run_advance, close_run_discard, close_run_finalize, close_start
from commissions.models import CloseChunk, CloseInput, CloseRun, DistributorPeriod, LedgerLine, Statement
from core.errors import ApplicationError, Conflict
from core.locks import lock_key
from core.models import AuditEntry
from distributors.models import Distributor
from plans.models import Period

from .closing import EXAMPLES, SimulatedCrash, close, crash_in_chunk, default_plan, ledger_tuples, period

pytestmark = pytest.mark.django_db

on_postgresql = connection.vendor == "postgresql"
needs_postgresql = pytest.mark.skipif(not on_postgresql, reason="the triggers and row locks are PostgreSQL's")


@pytest.fixture
def s4(settings):
    # Three distributors, October and November: one chunk each, so November can stop after two.
    settings.COMMISSION_CLOSE_CHUNK_DISTRIBUTORS = 1
    call_command("import_network", str(EXAMPLES / "s4"), stdout=io.StringIO())
    return default_plan()


def ranks_and_titles() -> dict[str, tuple[int, int]]:
    return {d.external_id: (d.rank, d.title) for d in Distributor.objects.all()}


def interrupted_final_close(monkeypatch, label: str, *, chunk: int = 2, frozen: bool = True) -> CloseRun:
    """A final close whose worker died writing chunk `chunk`: the chunks before it are written.

    `frozen`: the run's input is frozen, as its compute freezes it; otherwise the run has none, as
    a run of an earlier version.
    """
    with TestCase.captureOnCommitCallbacks(execute=False) as scheduled:
        run = close_start(period=period(label))
    crash_in_chunk(monkeypatch, chunk)
    with pytest.raises(SimulatedCrash), TestCase.captureOnCommitCallbacks(execute=True):
        for callback in scheduled:
            callback()
    monkeypatch.undo()
    if not frozen:
        CloseInput.objects.filter(run_id=run.pk).delete()
    run.refresh_from_db()
    assert (run.status, run.period.status) == ("failed", "closing")
    assert run.chunks.filter(status="done").count() == chunk
    return run


def rows_of(run: CloseRun) -> tuple[int, int, int, int, int]:
    return (
        LedgerLine.objects.filter(run=run).count(),
        Statement.objects.filter(run=run).count(),
        DistributorPeriod.objects.filter(run=run).count(),
        CloseChunk.objects.filter(run=run).count(),
        CloseInput.objects.filter(run_id=run.pk).count(),
    )


@pytest.mark.parametrize("frozen", [True, False], ids=["frozen input", "run without a frozen input"])
def test_a_final_close_interrupted_after_two_chunks_is_discarded_and_closes_cleanly_again(
    s1, monkeypatch, django_user_model, frozen
):
    clean = ledger_tuples(close("2026-10", preview=True))
    before = ranks_and_titles()
    assert set(before.values()) == {(0, 0)}  # no period closed yet
    run = interrupted_final_close(monkeypatch, "2026-10", frozen=frozen)
    lines, statements, results, chunks, inputs = rows_of(run)
    # Chunks 0 and 1 written, 2 failed (its rows rolled back), 3 never taken.
    assert list(run.chunks.values_list("status", flat=True)) == ["done", "done", "failed", "pending"]
    written = sum(run.chunks.filter(status="done").values_list("distributors", flat=True))
    assert statements == results == written > 0 and chunks == 4
    assert lines > 0 and inputs == (11 if frozen else 0)
    ranked = {key for key, value in ranks_and_titles().items() if value != before[key]}
    if on_postgresql:  # the compute wrote everyone's rank and title before it stored a chunk
        assert run.ranks_written and ranked >= {"A", "B", "C", "D"}
    else:  # the SQLite demo writes them in finalize only
        assert not ranked

    operator = django_user_model.objects.create_user("ops", password="x", is_staff=True)
    discarded = close_run_discard(period=period("2026-10"), reason="Plan loaded by mistake", actor=operator)

    assert discarded.pk == run.pk
    assert (discarded.status, discarded.phase, discarded.discard_reason) == (
        "discarded", "done", "Plan loaded by mistake",
    )  # fmt: skip
    assert discarded.finished_at is not None
    assert rows_of(run) == (0, 0, 0, 0, 0)
    assert ranks_and_titles() == before
    assert Period.objects.get(start=period("2026-10")).status == "open"
    entry = AuditEntry.objects.get(action="commissions.close_discard")
    ranks_from = "input" if frozen else ("closed periods" if on_postgresql else "not written")
    assert (entry.actor, entry.target_id, entry.reason) == (
        operator,
        str(run.period_id),
        "Plan loaded by mistake",
    )
    assert entry.data == {
        "run": run.pk,
        "reason": "Plan loaded by mistake",
        "deleted": {"lines": lines, "statements": written, "results": written, "chunks": 4},
        "ranks_restored": len(ranked),
        "ranks_from": ranks_from,
        "inputs_deleted": inputs,
    }
    assert (
        f"Deleted {lines} ledger lines, {written} statements, {written} results and 4 chunks"
        in discarded.notice
    )
    assert "by ops (reason: Plan loaded by mistake)" in discarded.notice
    assert ("frozen input" if frozen else "ranks") in discarded.notice

    again = close("2026-10")
    assert again.pk != run.pk
    assert (again.status, again.period.status) == ("succeeded", "closed")
    assert ledger_tuples(again) == clean
    paid_as = dict(DistributorPeriod.objects.filter(run=again).values_list("distributor_id", "paid_as_rank"))
    assert dict(Distributor.objects.filter(pk__in=paid_as).values_list("pk", "rank")) == paid_as
    # The discarded run stays, as the record; the period's final close is the new one.
    assert CloseRun.objects.get(pk=run.pk).status == "discarded"
    assert list(CloseRun.objects.filter(kind="final").order_by("pk").values_list("status", flat=True)) == [
        "discarded", "succeeded",
    ]  # fmt: skip


def test_a_run_without_a_frozen_input_gets_the_ranks_and_titles_of_the_last_closed_period_back(
    s4, monkeypatch
):
    close("2026-10")
    october = ranks_and_titles()
    assert october == {"P": (2, 2), "S": (1, 1), "T": (1, 1)}
    clean = ledger_tuples(close("2026-11", preview=True))
    run = interrupted_final_close(monkeypatch, "2026-11", frozen=False)
    if not on_postgresql:  # the SQLite demo writes ranks in finalize only: as an earlier version did
        Distributor.objects.update(rank=0)
        CloseRun.objects.filter(pk=run.pk).update(ranks_written=True)
    # November pays nobody a rank: the run set everyone's rank to 0.
    assert ranks_and_titles() == {"P": (0, 2), "S": (0, 1), "T": (0, 1)}

    discarded = close_run_discard(period=period("2026-11"), reason="Returns were booked late")

    assert ranks_and_titles() == october
    assert "restored from the closed periods' results (the run has no frozen input)" in discarded.notice
    assert AuditEntry.objects.get(action="commissions.close_discard").data["ranks_restored"] == 3
    assert rows_of(run) == (0, 0, 0, 0, 0)
    again = close("2026-11")
    assert again.status == "succeeded" and ledger_tuples(again) == clean
    # October's rows never changed.
    assert Period.objects.get(start=period("2026-10")).status == "closed"


def test_a_succeeded_close_cannot_be_discarded_and_nothing_changes(s1):
    run = close("2026-10")
    before = (rows_of(run), ranks_and_titles())
    with pytest.raises(Conflict, match="has succeeded and the period is closed") as refused:
        close_run_discard(period=period("2026-10"), reason="Try")
    assert refused.value.field == "period"
    assert (rows_of(run), ranks_and_titles()) == before
    run.refresh_from_db()
    assert (run.status, run.period.status, run.discard_reason) == ("succeeded", "closed", "")
    assert not AuditEntry.objects.filter(action="commissions.close_discard").exists()


def test_a_blank_reason_or_a_period_without_a_final_close_is_refused(s1, monkeypatch):
    with pytest.raises(Conflict, match="Period 2026-10 has no final close to discard"):
        close_run_discard(period=period("2026-10"), reason="Nothing to discard")
    close("2026-10", preview=True)  # a preview is no final close
    with pytest.raises(Conflict, match="has no final close to discard"):
        close_run_discard(period=period("2026-10"), reason="Nothing to discard")

    run = interrupted_final_close(monkeypatch, "2026-10")
    before = (rows_of(run), ranks_and_titles())
    for blank in ("", "   "):
        with pytest.raises(ApplicationError, match="Give the reason") as refused:
            close_run_discard(period=period("2026-10"), reason=blank)
        assert refused.value.field == "reason"
    assert (rows_of(run), ranks_and_titles()) == before
    run.refresh_from_db()
    assert (run.status, run.period.status) == ("failed", "closing")

    # The admin's page names the run it shows: a discard of another run of the period is refused.
    with pytest.raises(Conflict, match=f"Run {run.pk + 1} is no longer the final close of 2026-10"):
        close_run_discard(period=period("2026-10"), reason="Stale page", run_id=run.pk + 1)
    close_run_discard(period=period("2026-10"), reason="Stuck", run_id=run.pk)
    with pytest.raises(Conflict, match="has no final close to discard"):  # once only
        close_run_discard(period=period("2026-10"), reason="Stuck")


def test_the_command_discards_with_a_reason_and_says_what_to_do_next(s1, monkeypatch):
    with pytest.raises(CommandError, match="reason"):
        call_command("discard_close", "2026-10", stdout=io.StringIO())
    run = interrupted_final_close(monkeypatch, "2026-10")
    with pytest.raises(CommandError, match="Give the reason"):
        call_command("discard_close", "2026-10", "--reason", " ", stdout=io.StringIO())

    _, statements, results, chunks, _ = rows_of(run)
    out = io.StringIO()
    call_command("discard_close", "2026-10", "--reason", "Worker lost, inputs changed", stdout=out)
    text = out.getvalue()
    assert f"Final close of 2026-10 (run {run.pk}) discarded." in text
    assert f"ledger lines, {statements} statements, {results} results and {chunks} chunks" in text
    assert "Start the close again with manage.py close_period 2026-10" in text
    assert Period.objects.get(start=period("2026-10")).status == "open"

    close("2026-10")
    with pytest.raises(CommandError, match="a closed period never changes"):
        call_command("discard_close", "2026-10", "--reason", "Again", stdout=io.StringIO())
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("discard_close", "October", "--reason", "x", stdout=io.StringIO())


def test_the_admin_asks_for_a_reason_then_discards(admin_client, s1, monkeypatch, django_user_model):
    run = interrupted_final_close(monkeypatch, "2026-10")
    change = reverse("admin:commissions_closerun_change", args=[run.pk])
    url = reverse("admin:commissions_closerun_discard", args=[run.pk])
    assert url in admin_client.get(change).content.decode()  # the button on the run's page

    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode() and "csrfmiddlewaretoken" in page.content.decode()

    before = rows_of(run)
    blank = admin_client.post(url, {"reason": "  "})
    assert blank.status_code == 200 and "This field is required." in blank.content.decode()
    run.refresh_from_db()
    assert run.status == "failed" and rows_of(run) == before

    done = admin_client.post(url, {"reason": "Wrong plan"}, follow=True)
    assert done.redirect_chain[-1][0] == change
    text = done.content.decode()
    assert f"Final close of 2026-10 (run {run.pk}) is discarded and 2026-10 is open again" in text
    assert f"{before[1]} statements, {before[2]} results and {before[3]} chunks" in text
    run.refresh_from_db()
    assert (run.status, run.discard_reason, run.period.status) == ("discarded", "Wrong plan", "open")
    assert AuditEntry.objects.get(action="commissions.close_discard").actor.is_superuser
    assert url not in admin_client.get(change).content.decode()  # nothing left to discard

    # A discarded run is over: its page refuses a second discard, and "resume" starts nothing.
    again = admin_client.post(url, {"reason": "Twice"}, follow=True)
    assert "only a final close that has not succeeded can be discarded" in again.content.decode()
    admin_client.post(
        reverse("admin:commissions_closerun_changelist"),
        {"action": "resume", "_selected_action": [run.pk]},
    )
    assert Period.objects.get(start=period("2026-10")).status == "open"

    # Staff who may only look at runs see no button and may not discard.
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(*_permissions("view_closerun"))
    admin_client.force_login(viewer)
    assert admin_client.get(url).status_code == 403


def test_the_run_list_action_leads_to_the_confirmation_of_one_run(admin_client, s1, monkeypatch):
    preview = close("2026-10", preview=True)
    run = interrupted_final_close(monkeypatch, "2026-10")
    changelist = reverse("admin:commissions_closerun_changelist")
    response = admin_client.post(changelist, {"action": "discard", "_selected_action": [run.pk]})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:commissions_closerun_discard", args=[run.pk])
    for selected in ([preview.pk], [preview.pk, run.pk]):
        refused = admin_client.post(
            changelist, {"action": "discard", "_selected_action": selected}, follow=True
        )
        assert "Select one final close that has not succeeded" in refused.content.decode()
    assert CloseRun.objects.get(pk=run.pk).status == "failed"


def _permissions(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="commissions", codename__in=codenames)


def refused(match: str):
    """The statement fails at the database, and the test's transaction stays usable."""
    return _Refused(match)


class _Refused:
    def __init__(self, match: str):
        self.raises = pytest.raises(IntegrityError, match=match)

    def __enter__(self):
        self.raises.__enter__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()

    def __exit__(self, *exc):
        self.atomic.__exit__(*exc)
        return self.raises.__exit__(*exc)


def _delete(table: str, run: CloseRun) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE run_id = %s", [run.pk])


@needs_postgresql
def test_the_append_only_rule_still_refuses_every_other_delete_of_a_final_close(s4, monkeypatch):
    october = close("2026-10")
    preview = close("2026-11", preview=True)
    november = interrupted_final_close(monkeypatch, "2026-11")
    # A final close under way (failed, not discarded): none of its rows can be deleted.
    with refused("ledger lines are append-only: line .* of a final close cannot be deleted"):
        _delete("commissions_ledgerline", november)
    with refused("statement .* of a final close cannot be deleted unless its run is discarded"):
        _delete("commissions_statement", november)
    with refused("result .* of a final close cannot be deleted unless its run is discarded"):
        _delete("commissions_distributorperiod", november)
    # A succeeded final close: refused as before (the append-only message for the ledger, the
    # closed period's for the others).
    with refused("ledger lines are append-only"):
        _delete("commissions_ledgerline", october)
    with refused("commissions_statement of a closed period cannot be written"):
        _delete("commissions_statement", october)
    with refused("commissions_distributorperiod of a closed period cannot be written"):
        _delete("commissions_distributorperiod", october)
    # One statement mixing a discardable run's rows with a final close's: refused whole.
    CloseRun.objects.filter(pk=november.pk).update(status="discarded")
    with refused("ledger lines are append-only"):
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM commissions_ledgerline WHERE run_id IN (%s, %s)", [november.pk, october.pk]
            )
    CloseRun.objects.filter(pk=november.pk).update(status="failed")
    assert rows_of(november)[1:3] == (2, 2)

    close_run_discard(period=period("2026-11"), reason="Undo")
    assert rows_of(november) == (0, 0, 0, 0, 0)
    assert LedgerLine.objects.filter(run=october).exists() and LedgerLine.objects.filter(run=preview).exists()
    # A preview's rows are still pruned as before.
    for table in ("commissions_ledgerline", "commissions_statement", "commissions_distributorperiod"):
        _delete(table, preview)
    assert rows_of(preview)[:3] == (0, 0, 0)


def _failed_final_run_with_a_chunk(plan, *, claimed_by: str) -> CloseRun:
    """A final close of October stuck in its write phase, one chunk claimed (committed)."""
    october = Period.objects.create(start=period("2026-10"), status="closing")
    run = CloseRun.objects.create(
        period=october, plan=plan, kind="final", status="running", phase="write", chunks_total=2
    )
    CloseChunk.objects.create(run=run, number=0, status="done")
    CloseChunk.objects.create(
        run=run, number=1, status="running", claimed_by=claimed_by, claimed_at=dt.datetime.now(dt.UTC)
    )
    return run


def _holding(hold, *, name: str):
    """Run `hold(release)` on a thread with its own connection until `release` is set; returns
    (release event, thread) once it holds what it takes."""
    taken, release = threading.Event(), threading.Event()

    def body() -> None:
        try:
            hold(taken, release)
        finally:
            taken.set()
            connection.close()

    thread = threading.Thread(target=body, name=name)
    thread.start()
    assert taken.wait(timeout=30)
    return release, thread


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_run_being_computed_or_written_right_now_is_not_discarded():
    run = _failed_final_run_with_a_chunk(default_plan(), claimed_by="worker-7:4242")

    def compute(taken, release):  # the compute holds its session lock from start to end
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock_key(f"commission-close-run:{run.pk}")])
        taken.set()
        release.wait(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_all()")

    release, thread = _holding(compute, name="compute")
    try:
        with pytest.raises(
            Conflict, match=f"Run {run.pk} of 2026-10 is being computed right now; stop the workers"
        ):
            close_run_discard(period=period("2026-10"), reason="Stuck")
    finally:
        release.set()
        thread.join()

    def write_chunk(taken, release):  # a writer holds its chunk's row lock while it writes
        with transaction.atomic():
            CloseChunk.objects.select_for_update().get(run=run, number=1)
            taken.set()
            release.wait(timeout=30)

    release, thread = _holding(write_chunk, name="writer")
    try:
        with pytest.raises(
            Conflict, match="Chunk 1 of run .* is being written by worker-7:4242 right now; stop the"
        ):
            close_run_discard(period=period("2026-10"), reason="Stuck")
    finally:
        release.set()
        thread.join()
    assert CloseRun.objects.get(pk=run.pk).status == "running"
    assert CloseChunk.objects.filter(run=run).count() == 2

    # Once the worker is gone (its claim stays, but no one holds the row), the run is discarded.
    discarded = close_run_discard(period=period("2026-10"), reason="Worker died")
    assert discarded.status == "discarded" and not CloseChunk.objects.filter(run=run).exists()
    assert Period.objects.get(start=period("2026-10")).status == "open"
    # A chunk task delivered late finds nothing to write, and the run stays discarded.
    assert close_run_finalize(run_id=run.pk) is False
    close_run_advance(run_id=run.pk, inline=True)
    assert CloseRun.objects.get(pk=run.pk).status == "discarded"
