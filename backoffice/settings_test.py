"""The settings of the test suite (pyproject.toml): the production settings, in a test environment.

Tests run as production does, with DEBUG off, but need no real key and no HTTPS: the test client
speaks plain http://testserver, which the SSL redirect that production turns on would answer with a
301. The variables are set in the environment before the settings read it, so the processes the
tests start (a Celery worker, manage.py) inherit them and start the same way. The production
defaults themselves are tested in a process without them (tests/core/test_settings.py).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-key-it-signs-nothing-outside-the-tests-0123456789")
# Off, unless a child process asks for the demo's DEBUG=1 (it inherits this settings module too).
os.environ.setdefault("DEBUG", "0")
os.environ["SECURE_SSL_REDIRECT"] = "0"
# The company on the self-billing invoices that every payout batch issues.
os.environ.setdefault("COMPANY_NAME", "Voorbeeld Direct B.V.")
os.environ.setdefault("COMPANY_ADDRESS", "Herengracht 1|1015 BA Amsterdam")
os.environ.setdefault("COMPANY_VAT_NUMBER", "NL004495445B01")

from backoffice.settings import *  # noqa: E402, F403
