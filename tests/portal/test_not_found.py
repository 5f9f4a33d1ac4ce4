"""A page that does not exist answers the portal's own 404 page, in the reader's language; the
API keeps its JSON 404."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_bad_join_link_gets_the_portals_404_page_in_dutch():
    response = Client(HTTP_ACCEPT_LANGUAGE="nl").get("/join/NOSUCHCODE/")
    assert response.status_code == 404
    assert "404.html" in [template.name for template in response.templates]
    assert '<html lang="nl">' in response.content.decode()


def test_the_api_keeps_its_json_404(client):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
