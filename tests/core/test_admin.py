"""The admin site: the business first on the index, and pages the Content-Security-Policy allows."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from core.admin_site import BackofficeAdminSite

pytestmark = pytest.mark.django_db


def test_every_registration_is_on_the_back_offices_site(admin_client):
    assert isinstance(admin.site._wrapped, BackofficeAdminSite)
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "<title>Back office | Backoffice</title>" in page
    assert "Django administration" not in page


def test_the_index_lists_the_business_first(admin_client):
    apps = admin_client.get(reverse("admin:index")).context["app_list"]
    labels = [app["app_label"] for app in apps]
    assert labels[:6] == ["distributors", "orders", "commissions", "compliance", "core", "auth"]
    assert labels.index("axes") < labels.index("django_celery_beat")
    commissions = next(app for app in apps if app["app_label"] == "commissions")
    assert [m["object_name"] for m in commissions["models"]][:4] == [
        "Period",
        "CloseRun",
        "Statement",
        "PayoutBatch",
    ]
    orders = next(app for app in apps if app["app_label"] == "orders")
    assert [m["object_name"] for m in orders["models"]][0] == "Order"


def test_the_app_pages_keep_their_urls(admin_client):
    for app in ("distributors", "orders", "commissions", "compliance", "core", "auth"):
        assert admin_client.get(reverse("admin:app_list", args=[app])).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/commissions/compare/",
        "/admin/compliance/compliancereport/",
        "/admin/compliance/compliancereport/income-disclosure/",
        "/admin/orders/buybackrequest/",
    ],
)
def test_admin_pages_carry_no_inline_style_or_script(admin_client, url):
    # style-src and script-src are 'self': inline styles and handlers would be ignored by the browser.
    page = admin_client.get(url).content.decode()
    assert "<style" not in page
    assert not re.search(r"\sstyle=", page)
    assert not re.search(r"\son(change|click|submit)=", page)
    assert "/static/backoffice/admin.css" in page
