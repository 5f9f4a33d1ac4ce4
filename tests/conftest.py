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
