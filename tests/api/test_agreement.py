"""GET /api/v1/me/agreement/ and POST /api/v1/me/agreement/accept/: the current version in the
reader's language, whether I accepted it, my history; accept once, refuse a superseded version."""

from __future__ import annotations

import pytest

from distributors.agreements import AgreementAcceptance
from tests.distributors.agreement_helpers import draft_version, published_version

pytestmark = pytest.mark.django_db
URL = "/api/v1/me/agreement/"
ACCEPT = "/api/v1/me/agreement/accept/"


def test_nothing_to_accept_while_no_version_is_published(net, api):
    body = api("anna").get(URL).json()
    assert body == {"current": None, "accepted": True, "accepted_at": None, "history": []}


def test_the_current_version_in_my_language_and_accepting_it_once(net, api):
    version = published_version(net.admin)
    client = api("anna")
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="nl").json()
    assert body["accepted"] is False and body["history"] == []
    current = body["current"]
    assert (current["id"], current["number"], current["title"], current["language"]) == (
        version.pk, 1, "Overeenkomst 1", "nl",
    )  # fmt: skip
    assert [c["kind"] for c in current["clauses"]] == ["independent_contractor", "self_billing"]
    assert current["text_hash"] == version.text_hash("nl")
    accepted = client.post(ACCEPT, {"version": version.pk}, format="json", HTTP_ACCEPT_LANGUAGE="nl")
    assert accepted.status_code == 200 and accepted.json()["accepted"] is True
    (row,) = accepted.json()["history"]
    assert (row["version"], row["channel"], row["language"]) == (1, "api", "nl")
    again = client.post(ACCEPT, {"version": version.pk}, format="json")
    assert again.status_code == 200 and again.json()["history"] == [row]
    assert AgreementAcceptance.objects.filter(distributor=net.anna).count() == 1


def test_a_superseded_draft_or_unknown_version_is_a_400_and_nothing_is_written(net, api):
    old = published_version(net.admin, 1)
    published_version(net.admin, 2)
    draft = draft_version(3)
    client = api("anna")
    for bad in (old.pk, draft.pk, 999_999, "x"):
        response = client.post(ACCEPT, {"version": bad}, format="json")
        assert response.status_code == 400, bad
        assert "version" in response.json()["error"]["fields"]
    assert client.post(ACCEPT, {}, format="json").status_code == 400
    assert client.post(ACCEPT, {"version": old.pk, "channel": "paper"}, format="json").status_code == 400
    assert not AgreementAcceptance.objects.exists()


def test_anonymous_and_staff_without_a_profile_are_refused(net, api):
    published_version(net.admin)
    assert api(None).get(URL).status_code == 401
    assert api("admin").get(URL).status_code == 403
