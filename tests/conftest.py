"""Fixtures every test app shares."""

import pytest


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.nl", "admin-pass-123")
