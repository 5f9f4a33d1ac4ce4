import datetime as dt

import pytest
from django.utils import timezone

from core.models import IdempotencyKey
from core.tasks import purge_idempotency_keys

pytestmark = pytest.mark.django_db


def test_idempotency_keys_older_than_a_week_are_forgotten(admin_user):
    def key(name: str, age_days: int) -> IdempotencyKey:
        entry = IdempotencyKey.objects.create(
            user=admin_user, key=name, method="POST", path="/x", request_hash="h"
        )
        IdempotencyKey.objects.filter(pk=entry.pk).update(
            created_at=timezone.now() - dt.timedelta(days=age_days)
        )
        return entry

    key("old", 8)
    kept = key("recent", 1)
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.all()) == [kept]
