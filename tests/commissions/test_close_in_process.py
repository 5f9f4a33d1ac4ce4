"""Without a broker the close writes its chunks in this process, on threads with their own
connections (as Celery workers would), each as soon as the compute has stored it: the same ledger,
ranks and closed period as one by one."""

import io
import threading

import pytest
from django.core.management import call_command

from commissions.close import threads
from commissions.models import CloseRun, DistributorPeriod
from compliance.models import ComplianceReport
from core.errors import ApplicationError
from distributors.models import Distributor

from .closing import EXAMPLES, close, default_plan, ledger_tuples


@pytest.mark.django_db(transaction=True)
def test_chunks_written_on_threads_give_the_ledger_and_ranks_of_a_one_by_one_close(settings, monkeypatch):
    # Eleven distributors in chunks of three: four chunks over two writer threads.
    settings.COMMISSION_CLOSE_CHUNK_DISTRIBUTORS = 3
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    default_plan()
    settings.COMMISSION_CLOSE_INPROCESS_WRITERS = 1
    one_by_one = close("2026-10", preview=True)

    handed, writers_threads = [], set()
    real_hand = threads.ChunkWriters.write
    real_write = threads.close_chunk_write

    def hand(pool, chunk_id):
        # Each chunk goes to the writers as soon as it is stored, while the compute goes on.
        handed.append((CloseRun.objects.get(chunks__pk=chunk_id).phase, pool.threads))
        real_hand(pool, chunk_id)

    def write(**kwargs):
        writers_threads.add(threading.current_thread().name.split("_")[0])
        return real_write(**kwargs)

    monkeypatch.setattr(threads.ChunkWriters, "write", hand)
    monkeypatch.setattr(threads, "close_chunk_write", write)
    settings.COMMISSION_CLOSE_INPROCESS_WRITERS = 2
    final = close("2026-10")

    assert handed == [("compute", 2)] * 4
    assert writers_threads == {"close-chunk"}
    assert (final.status, final.chunks_done, final.period.status) == ("succeeded", 4, "closed")
    assert ledger_tuples(final) == ledger_tuples(one_by_one)
    # Ranks and titles were written during the compute, on a connection of their own: every
    # distributor has the paid-as rank of the close, and S1's top rank made it to the distributor.
    assert final.ranks_written
    paid_as = dict(DistributorPeriod.objects.filter(run=final).values_list("distributor_id", "paid_as_rank"))
    assert dict(Distributor.objects.values_list("id", "rank")) == paid_as
    assert max(paid_as.values()) > 0
    ranked = [distributor for distributor, rank in paid_as.items() if rank >= 1]
    assert not Distributor.objects.filter(title__lt=1, id__in=ranked).exists()
    assert ComplianceReport.objects.filter(run=final).count() == 1
    assert CloseRun.objects.filter(pk=final.pk, summary__order_figures__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_a_close_over_a_broken_tree_index_fails_and_writes_nothing(settings):
    # The tree check runs in the database while the engine computes: it still stops the close
    # before any chunk is stored, and names the node.
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    default_plan()
    broken = Distributor.objects.order_by("lft").last()
    Distributor.objects.filter(pk=broken.pk).update(level=broken.level + 3)

    with pytest.raises(ApplicationError, match=rf"tree index is inconsistent.*node {broken.pk}: level"):
        close("2026-10")
    run = CloseRun.objects.get()
    assert (run.status, run.chunks.count(), run.period.status) == ("failed", 0, "closing")
    assert not DistributorPeriod.objects.exists()
    assert not Distributor.objects.filter(rank__gt=0).exists()  # no rank written either
    assert "check_tree" in run.error
