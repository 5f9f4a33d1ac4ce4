"""GET /api/v1/me/personal-data/: the caller's own export, as a download; nobody else's."""

from __future__ import annotations

import json

from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from distributors.personal_data import distributor_erase
from distributors.services.status import distributor_terminate

from .conftest import PASSWORD

URL = "/api/v1/me/personal-data/"


def test_i_download_my_own_data(net, api):
    response = api("anna").get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert (
        response["Content-Disposition"] == f'attachment; filename="personal-data-{net.anna.external_id}.json"'
    )
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert (data["profile"]["id"], data["profile"]["email"], data["profile"]["phone"]) == (
        net.anna.pk,
        "anna@example.nl",
        "+31 6 1234 5678",
    )
    assert data["sponsor"] == {"id": net.root.pk, "external_id": net.root.external_id, "name": "Root Company"}
    assert [c["email"] for c in data["customers"]] == ["carla.anna@example.nl", "gijs.anna@example.nl"]
    owned = net.owned["anna"]
    assert [o["number"] for o in data["orders"]] == [owned.pending_order.number, owned.paid_order.number]
    assert [o["lines"][0]["quantity"] for o in data["orders"]] == [1, 3]
    assert [b["id"] for b in data["buyback_requests"]] == [owned.buyback.pk]


def test_the_export_holds_no_one_elses_data(net, api):
    text = api("anna").get(URL).content.decode()
    # Not the downline's, the upline's or another leg's contact data, nor their customers.
    for other in ("anton@", "arie@", "aafke@", "root@", "bert@", "carla.bert@", "gijs.bert@"):
        assert other not in text
    assert net.owned["bert"].paid_order.number not in text


def test_every_caller_gets_only_their_own(net, api):
    """There is no id in the URL: bert's token gets bert's export, never anna's."""
    bert = api("bert").get(URL).json()
    assert bert["profile"]["id"] == net.bert.pk
    assert "anna@example.nl" not in json.dumps(bert)
    assert api("bert").get(URL, {"id": net.anna.pk}).json()["profile"]["id"] == net.bert.pk


def test_anonymous_is_401_and_staff_without_a_profile_403(net, api):
    anonymous = api(None).get(URL)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    assert api("admin").get(URL).status_code == 403


def test_the_export_takes_a_fixed_number_of_queries(net, api, django_assert_max_num_queries):
    client = api("anna")
    # One query per kind of record (issue 19 added the agreement, autoships, invoices and the
    # notifications' address, language, preferences and mails).
    with django_assert_max_num_queries(25):
        assert client.get(URL).status_code == 200


def test_an_erased_distributor_can_no_longer_use_the_api(net, api):
    client = api("anton")
    assert client.get(URL).status_code == 200
    credentials = {"username": "anton@example.nl", "password": PASSWORD}
    refresh = api(None).post("/api/v1/auth/token/", credentials, format="json").json()["refresh"]
    anton = distributor_terminate(distributor=net.anton, actor=net.admin, reason="Quit")
    distributor_erase(distributor=anton, actor=net.admin, reason="GDPR request 3")
    assert client.get(URL).status_code == 401
    login = api(None).post("/api/v1/auth/token/", credentials, format="json")
    assert login.status_code == 401
    renewed = api(None).post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert renewed.status_code == 401
    assert BlacklistedToken.objects.filter(token__user=anton.user).count() == 1


def test_erasure_is_not_in_the_api(net, api):
    assert api("anna").delete(URL).status_code == 405
    paths = api(None).get("/api/v1/schema/?format=json").json()["paths"]
    assert list(paths[URL]) == ["get"]
    assert not any("erase" in path for path in paths)


def test_the_answer_matches_its_documented_schema(net, api):
    schema = api(None).get("/api/v1/schema/?format=json").json()
    operation = schema["paths"][URL]["get"]
    assert operation["operationId"] == "personal_data_retrieve"
    component = schema["components"]["schemas"]["PersonalData"]
    data = api("anna").get(URL).json()
    assert set(component["properties"]) == set(data) == set(component["required"])
    for name, spec in component["properties"].items():
        expected = {"object": dict, "array": list, "string": str}[spec["type"]]
        assert isinstance(data[name], expected) or (data[name] is None and spec.get("nullable")), name
