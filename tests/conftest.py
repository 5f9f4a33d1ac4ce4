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


@pytest.fixture(autouse=True)
def default_language_after_each_test():
    # LocaleMiddleware activates a request's language (cookie, Accept-Language) in the thread and
    # nothing resets it: without this, one Dutch request makes every later test Dutch.
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


def standard_plan_document(**changes):
    """The shipped default plan, with some parameters changed: stored plans are always complete."""
    import json

    from plans.document import DEFAULT_PLAN_PATH

    return {**json.loads(DEFAULT_PLAN_PATH.read_text()), **changes}
