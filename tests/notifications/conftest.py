"""The notifications' tests use the API tests' network (tests/api/conftest.py)."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.api.conftest import (  # noqa: F401  (fixtures)
    PASSWORD,
    _fast_api_settings,
    api,
    module_net,
    net,
)


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_URL = "https://office.example.com"
    mail.outbox = []
