"""Fixtures of the close tests."""

import io

import pytest
from django.core.management import call_command

from .closing import EXAMPLES, default_plan


@pytest.fixture
def s1(settings):
    # Eleven distributors in chunks of three: four chunks, so a crash can hit one in the middle.
    settings.COMMISSION_CLOSE_CHUNK_DISTRIBUTORS = 3
    call_command("import_network", str(EXAMPLES / "s1"), stdout=io.StringIO())
    return default_plan()
