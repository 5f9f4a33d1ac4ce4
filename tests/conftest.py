"""Fixtures every test app shares."""

import pytest


@pytest.fixture(autouse=True)
def fast_test_settings(settings):
    # PBKDF2 costs ~1 s a password on this machine; tests need no real hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The manifest storage needs collectstatic; admin pages in tests only need the URLs.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def standard_plan_document(**changes):
    """The shipped default plan, with some parameters changed: stored plans are always complete."""
    import json

    from commissions.plan_document import DEFAULT_PLAN_PATH

    return {**json.loads(DEFAULT_PLAN_PATH.read_text()), **changes}
