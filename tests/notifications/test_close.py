"""A final close: one task on commit, which tells staff and fans out in chunks of distributors for
the statements and rank advancements; a preview tells nobody; nothing twice on redelivery."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command

from commissions.models import Statement
from notifications import tasks
from notifications.models import Notification
from tests.commissions.closing import EXAMPLES, close, default_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def s1(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_URL = "https://office.example.com"
    settings.COMMISSION_CLOSE_CHUNK_DISTRIBUTORS = 3
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    get_user_model().objects.create_superuser("boss", "boss@example.com", "x")
    get_user_model().objects.create_user("clerk", "clerk@example.com", "x", is_staff=True)  # may not close
    mail.outbox = []
    return default_plan()


def test_a_preview_sends_nothing(s1):
    close("2026-10", preview=True)
    assert mail.outbox == []


def test_a_final_close_sends_statements_ranks_and_close_finished(s1):
    run = close("2026-10")
    statements = Statement.objects.filter(run=run).count()
    assert statements > 0
    assert Notification.objects.filter(kind="statement_ready", status="sent").count() == statements
    # S1's distributors are Dutch: the month in Dutch.
    anna = next(m for m in mail.outbox if m.to == ["a@example.nl"] and "oktober 2026" in m.subject)
    assert "https://office.example.com/portal/statements/2026-10/" in anna.body
    ranked = Notification.objects.filter(kind="rank_advancement").count()
    assert ranked > 0  # S1's first close: every title is new
    finished = [m for m in mail.outbox if m.to == ["boss@example.com"]]
    assert len(finished) == 1 and "October 2026" in finished[0].subject
    assert not [m for m in mail.outbox if m.to == ["clerk@example.com"]]
    assert len(mail.outbox) == statements + ranked + 1

    # The task delivered again (acks late): nothing more.
    tasks.close_notifications(run.pk)
    assert len(mail.outbox) == statements + ranked + 1


def test_the_close_fans_out_in_chunks_of_distributors(s1, settings, monkeypatch):
    settings.NOTIFICATIONS_CHUNK_SIZE = 4
    queued = []
    monkeypatch.setattr(tasks.close_notifications_chunk, "delay", lambda *args: queued.append(args))
    run = close("2026-10")
    assert len(queued) >= 3 and all(high - low == 4 for _run, low, high in queued)
    assert mail.outbox and all(m.to == ["boss@example.com"] for m in mail.outbox)
    for args in queued:
        tasks.close_notifications_chunk(*args)
    assert (
        Notification.objects.filter(kind="statement_ready").count()
        == Statement.objects.filter(run=run).count()
    )


def test_the_demo_seeds_muted_then_shows_a_few(s1):
    from notifications.demo import muted, seed_notifications

    with muted():
        close("2026-10")
    assert mail.outbox == []
    counts = seed_notifications()
    assert 1 < counts["sent"] <= 7  # close finished + statements/ranks of three distributors
    assert len(mail.outbox) == counts["sent"]
