"""The portal's tests use the API tests' network (tests/api/conftest.py): the same people, the same
objects, so a page and its API endpoint are checked against one set of facts.

    root ─ anna (self) ─ anton ─ arie ─ aafke        bert (other leg) ─ bob        ursula (unrelated)
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import (  # noqa: F401  (fixtures)
    PASSWORD,
    _fast_api_settings,
    api,
    module_net,
    net,
)


@pytest.fixture
def portal(net):  # noqa: F811
    """A test client signed in to the portal as the named member of the network (anna by default)."""

    def make(who: str = "anna") -> Client:
        client = Client()
        client.force_login(getattr(net, who).user)
        return client

    return make
