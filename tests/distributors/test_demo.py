import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction

from core.errors import Conflict
from core.models import AuditEntry
from distributors.demo import seed_network
from distributors.models import Distributor, SponsorChange
from distributors.selectors import legs, tree_check

from .helpers import assert_tree_ok


class Rollback(Exception):
    pass


def snapshot():
    return sorted(
        Distributor.objects.values_list(
            "external_id",
            "sponsor__external_id",
            "first_name",
            "last_name",
            "email",
            "referral_code",
            "status",
        )
    )


def test_demo_network_is_whole_skewed_and_deterministic(db):
    logins = seed_network(size=400, seed=7)
    assert Distributor.objects.count() == 400
    assert_tree_ok()
    root = Distributor.objects.get(sponsor=None)
    sizes = [leg.size for leg in legs(root)]
    assert len(sizes) == 7
    assert sum(sizes) == 399
    assert sizes[0] > 3 * sizes[-1]  # a few big legs, many small ones
    assert Distributor.objects.filter(status="terminated", frontline__isnull=False).count() == 0
    assert len(logins) == 3
    username, password = logins[0]
    user = User.objects.get(username=username)
    assert user.check_password(password)
    assert user.distributor == root
    first = snapshot()

    with pytest.raises(Conflict):
        seed_network(size=10, seed=7)

    # Same seed, same network: rebuild it in a rolled-back transaction over an emptied table.
    with pytest.raises(Rollback), transaction.atomic():
        _empty_table()
        User.objects.filter(username__in=[u for u, _ in logins]).delete()
        seed_network(size=400, seed=7)
        assert snapshot() == first
        raise Rollback


def _empty_table():
    # Leaves first: sponsor links are PROTECT.
    for level in sorted(set(Distributor.objects.values_list("level", flat=True)), reverse=True):
        Distributor.objects.filter(level=level).delete()


def test_the_demo_moves_its_newest_distributor_under_the_founder_with_a_reason(db):
    out = io.StringIO()
    call_command("seed_demo", size=40, months=3, stdout=out)
    (change,) = SponsorChange.objects.select_related("distributor__sponsor", "old_sponsor", "new_sponsor")
    moved = change.distributor
    assert change.kind == SponsorChange.Kind.MOVE
    assert change.new_sponsor.external_id == moved.sponsor.external_id == "D100000"
    assert change.old_sponsor.external_id != "D100000"
    # The newest distributor who was not in the founder's frontline yet.
    assert (
        not Distributor.objects.exclude(sponsor=moved.sponsor)
        .filter(enrolled_at__gt=moved.enrolled_at)
        .exists()
    )
    assert change.reason == "Demo: asked to join the founder's team"
    assert f"Moved {moved.external_id} under D100000." in out.getvalue()
    assert AuditEntry.objects.filter(action__contains="move").count() == 1
    assert tree_check().ok
