"""Issue 19's portal pages, end to end in Chromium on a phone: start an autoship and skip its
next order, accept the distributor agreement the notice asks for, choose the VAT status the
invoices are made with, and switch a kind of notification off. Every page a flow passes is audited
as in test_pages.py (phone width, axe, CSP). The shop's flow is in test_shop.py.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from distributors.agreements import AgreementAcceptance
from distributors.tax import VatRegistration
from notifications.models import NotificationPreference
from orders.models import Subscription
from tests.distributors.agreement_helpers import published_version
from tests.portal.browser.conftest import PHONE, audit


def test_start_an_autoship_and_skip_its_next_order(bnet, open_portal):
    portal = open_portal(bnet.anna, width=PHONE)
    portal.goto("/portal/orders/autoship/new/")
    problems = audit(portal, "flow-autoship-new", width=PHONE)
    form = portal.page.locator("main form.form")
    form.get_by_label("Day of the month (for months)").fill("15")
    form.get_by_label("Product 1").select_option(value=bnet.product.sku)
    form.get_by_label("Quantity 1").fill("2")
    form.get_by_role("button", name="Start the autoship").click()
    portal.page.wait_for_url(re.compile(r"/portal/orders/autoship/$"))
    problems += audit(portal, "flow-autoship-list", width=PHONE)
    subscription = Subscription.objects.get(distributor=bnet.anna)
    first = subscription.next_date
    assert (first.day, subscription.lines.get().quantity) == (15, 2)

    portal.page.get_by_role("button", name="Skip the next one").first.click()
    portal.page.wait_for_load_state()
    subscription.refresh_from_db()
    assert subscription.next_date > first
    assert not problems, "\n".join(problems)


def test_the_notice_leads_to_the_agreement_which_is_accepted_clause_by_clause(bnet, open_portal):
    version = published_version(bnet.admin)
    portal = open_portal(bnet.anna, width=PHONE)
    portal.goto("/portal/")
    notice = portal.page.locator(".agreement-notice").first
    expect(notice).to_be_visible()
    notice.get_by_role("link").first.click()
    portal.page.wait_for_url(re.compile(r"/portal/me/agreement/$"))
    problems = audit(portal, "flow-agreement", width=PHONE)

    form = portal.page.locator("main form").filter(has=portal.page.locator("input[type=checkbox]"))
    form.get_by_role("button", name="Accept the agreement").click()  # no clause ticked: refused
    portal.page.wait_for_load_state()
    assert not AgreementAcceptance.objects.exists()
    problems += audit(portal, "flow-agreement-errors", width=PHONE)

    form = portal.page.locator("main form").filter(has=portal.page.locator("input[type=checkbox]"))
    for box in form.locator("input[type=checkbox]").all():
        box.check()
    form.get_by_role("button", name="Accept the agreement").click()
    portal.page.wait_for_load_state()
    acceptance = AgreementAcceptance.objects.get(distributor=bnet.anna)
    assert (acceptance.version_id, acceptance.channel) == (version.pk, "portal")
    portal.goto("/portal/")
    expect(portal.page.locator(".agreement-notice")).to_have_count(0)
    assert not problems, "\n".join(problems)


def test_choose_the_vat_status_a_wrong_number_is_refused_on_its_field(bnet, open_portal):
    portal = open_portal(bnet.anna, width=PHONE)
    portal.goto("/portal/me/vat-status/")
    problems = audit(portal, "flow-vat", width=PHONE)
    form = portal.page.locator("main form").first
    form.locator("input[type=radio][value=nl]").check()
    form.get_by_label("VAT number").fill("NL123456789B01")
    form.get_by_label("Address on your invoices").fill("Kerkstraat 1\n3511 AB Utrecht")
    form.get_by_role("button", name="Save").click()
    portal.page.wait_for_load_state()
    problems += audit(portal, "flow-vat-error", width=PHONE)
    expect(portal.page.locator("main .error").first).to_be_visible()
    assert not VatRegistration.objects.filter(distributor=bnet.anna).exists()

    form = portal.page.locator("main form").first
    form.get_by_label("VAT number").fill("NL000099998B57")
    form.get_by_role("button", name="Save").click()
    portal.page.wait_for_load_state()
    registration = VatRegistration.objects.get(distributor=bnet.anna)
    assert (registration.vat_status, registration.vat_number) == ("nl", "NL000099998B57")
    assert not problems, "\n".join(problems)


def test_switch_a_kind_of_notification_off(bnet, open_portal):
    portal = open_portal(bnet.anna, width=PHONE, language="nl")
    portal.goto("/portal/me/notifications/")
    problems = audit(portal, "flow-notifications", width=PHONE)
    form = portal.page.locator("main form").first
    boxes = form.locator("input[type=checkbox]")
    assert boxes.count() >= 5
    boxes.first.uncheck()
    form.locator("button[type=submit]").first.click()
    portal.page.wait_for_load_state()
    problems += audit(portal, "flow-notifications-saved", width=PHONE)
    assert NotificationPreference.objects.filter(email=bnet.anna.email.lower(), enabled=False).count() == 1
    assert not problems, "\n".join(problems)
