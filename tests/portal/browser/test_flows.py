"""A distributor's month, end to end in Chromium (issue 15, "Tests"): sign in, the dashboard's
figures against the API's `me`, the tree, enrolling, a demonstration from planning to close on a
phone, the host link, a buy-back request, a statement and its CSV, Dutch, a password reset through
the e-mail, and never a glimpse of another leg. Every page a flow passes is audited as in
test_pages.py (phone width, axe, CSP).

    root ─ anna (self) ─ anton ─ arie ─ aafke        bert (other leg) ─ bob        ursula (unrelated)
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import urlsplit

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from distributors.models import Distributor
from orders.models import BuybackRequest, Demonstration, DemonstrationStatus
from tests.api.conftest import PASSWORD, client_for
from tests.portal.browser.conftest import DESKTOP, PHONE, audit

# The names of the menu in Dutch, in its order.
DUTCH_MENU = [
    "Overzicht",
    "Team",
    "Klanten",
    "Bestellingen",
    "Demonstraties",
    "Terugkoop",
    "Afrekeningen",
    "Mijn gegevens",
]


def _number(text: str) -> Decimal:
    """A figure as the English page shows it ("1,234.5", "€ 12.00") as a Decimal."""
    return Decimal(re.sub(r"[^0-9.\-]", "", text))


def _figure(page, label: str) -> str:
    return (
        page.locator("dl.figures > div")
        .filter(has=page.locator("dt", has_text=re.compile(f"^{label}$")))
        .locator("dd")
        .first.inner_text()
    )


def test_sign_in_and_the_dashboard_equals_the_apis_me_then_dutch(bnet, open_portal):
    portal = open_portal()
    portal.goto("/portal/")
    assert portal.path().startswith("/portal/login/")
    problems = audit(portal, "flow-login", width=DESKTOP)
    portal.page.locator("input[name=username]").fill(bnet.anna.user.username)
    portal.page.locator("input[name=password]").fill(PASSWORD)
    portal.page.get_by_role("button", name="Sign in").click()
    portal.page.wait_for_url(re.compile(r"/portal/$"))
    problems += audit(portal, "flow-dashboard", width=DESKTOP)

    me = client_for(bnet.anna.user).get("/api/v1/me/").json()["current_period"]
    assert _number(_figure(portal.page, "PV")) == Decimal(me["pv"])
    assert _number(_figure(portal.page, "GV")) == Decimal(me["gv"])

    # The language switch on every page: the same page, in Dutch, and it stays Dutch.
    portal.page.locator("form.language button[value=nl]").first.click()
    portal.page.wait_for_load_state()
    assert portal.page.locator("html").get_attribute("lang") == "nl"
    assert portal.path() == "/portal/"
    menu = [text.strip() for text in portal.page.locator("#portal-nav ul a").all_inner_texts()]
    assert menu == DUTCH_MENU, f"the menu in Dutch: {menu}"
    portal.goto("/portal/team/")
    assert portal.page.locator("html").get_attribute("lang") == "nl"
    assert not problems, "\n".join(problems)


def test_the_tree_expands_and_never_shows_another_leg(bnet, open_portal):
    portal = open_portal(bnet.anna, width=PHONE)
    portal.goto("/portal/team/tree/")
    tree = portal.page.locator("main")
    expect(tree).to_contain_text("Anton Akker")
    assert "Arie" not in tree.inner_text()  # loaded on demand
    # Open anton's node (not his name's link): htmx loads his frontline.
    portal.page.locator("details").filter(has_text="Anton Akker").first.locator(
        "summary .node-figures"
    ).click()
    expect(tree).to_contain_text("Arie Akker")
    problems = audit(portal, "flow-tree-open", width=PHONE)
    body = portal.page.content()
    for stranger in ("Bert", "Bob", "Ursula", "Root Company"):
        assert stranger not in body, stranger

    # Searching the list for the other leg finds nobody; their pages are 404 as in the API.
    portal.goto("/portal/team/members/?q=Bert")
    assert "Bert Bakker" not in portal.page.locator("main").inner_text()
    for member in (bnet.bert, bnet.bob, bnet.ursula, bnet.root):
        assert portal.goto(f"/portal/team/members/{member.pk}/").status == 404
        assert portal.goto(f"/portal/team/tree/{member.pk}/").status == 404
    # And bert, the other leg, sees nothing of anna's.
    other = open_portal(bnet.bert, width=PHONE)
    other.goto("/portal/team/tree/")
    assert "Anna" not in other.page.content() and "Anton" not in other.page.content()
    assert other.goto(f"/portal/team/members/{bnet.anton.pk}/").status == 404
    assert not problems, "\n".join(problems)


def test_enroll_a_recruit_who_gets_the_invitation(bnet, open_portal):
    portal = open_portal(bnet.anna, width=PHONE)
    portal.goto("/portal/team/enroll/")
    problems = audit(portal, "flow-enroll", width=PHONE)
    form = portal.page.locator("main form.form")
    form.get_by_label("First name").fill("Rosa")
    form.get_by_label("Last name").fill("Recruit")
    form.get_by_label("E-mail address").fill("rosa.recruit@example.nl")
    form.locator("button[type=submit]").click()
    portal.page.wait_for_load_state()
    problems += audit(portal, "flow-enrolled", width=PHONE)
    recruit = Distributor.objects.get(user__email="rosa.recruit@example.nl")
    assert recruit.sponsor_id == bnet.anna.pk
    assert any("rosa.recruit@example.nl" in message.to for message in mail.outbox)
    assert not problems, "\n".join(problems)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_demonstration_from_planning_to_close_on_a_phone_and_the_host_link(bnet, open_portal):
    portal = open_portal(bnet.anna, width=PHONE)
    page = portal.page
    portal.goto("/portal/demonstrations/plan/")
    problems = audit(portal, "flow-demo-plan", width=PHONE)
    form = page.locator("main form.demo-form")
    host = bnet.owned["anna"].host
    form.get_by_label("One of your customers").select_option(str(host.pk))
    form.get_by_label("Date and time").fill(_local(timezone.now() - dt.timedelta(hours=1)))
    form.get_by_label("Place").fill("Amersfoort")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/portal/demonstrations/\d+/$"))
    demonstration = Demonstration.objects.get(pk=int(portal.path().strip("/").split("/")[-1]))
    assert (demonstration.consultant_id, demonstration.host_id, demonstration.place) == (
        bnet.anna.pk,
        host.pk,
        "Amersfoort",
    )
    problems += audit(portal, "flow-demo-planned", width=PHONE)

    # A guest, then her order at the table (htmx: the form comes back empty for the next guest).
    guest = bnet.owned["anna"].guest
    add = page.locator("form").filter(has=page.get_by_role("button", name="Add the guest"))
    add.get_by_label("One of your customers").select_option(str(guest.pk))
    add.get_by_role("button", name="Add the guest").click()
    page.wait_for_load_state()
    order = page.locator("#table-order")
    who = order.get_by_label("Who orders")
    who.select_option(who.locator("option", has_text="Gijs").first.get_attribute("value"))
    order.locator("#product-1").fill(bnet.product.sku)
    order.locator("#quantity-1").fill("2")
    order.get_by_role("button", name="Record the order").click()
    expect(page.locator("#table-order")).to_contain_text("recorded")
    assert demonstration.orders.count() == 1
    problems += audit(portal, "flow-demo-ordered", width=PHONE)

    # The host link, opened by someone without an account, shows the sales so far.
    link = page.locator("#host-link").input_value()
    host_page = open_portal(None, width=PHONE)
    assert host_page.goto(urlsplit(link).path).status == 200
    expect(host_page.page.locator("main")).to_be_visible()
    assert "Gijs" not in host_page.page.content()  # never a guest's name
    problems += audit(host_page, "flow-host-link", width=PHONE)

    # Close it, after the confirmation page.
    page.get_by_role("link", name="Close the demonstration").click()
    page.wait_for_url(re.compile(r"/close/$"))
    problems += audit(portal, "flow-demo-close", width=PHONE)
    page.locator("main form").get_by_role("button", name="Close the demonstration").click()
    # The confirmation form is htmx-boosted: no page load to wait for, the demonstration's page
    # comes back in place once the close is done.
    page.wait_for_url(re.compile(r"/portal/demonstrations/\d+/$"))
    expect(page.get_by_role("link", name="Close the demonstration")).to_have_count(0)
    demonstration.refresh_from_db()
    assert demonstration.status == DemonstrationStatus.CLOSED
    problems += audit(portal, "flow-demo-closed", width=PHONE)
    assert not problems, "\n".join(problems)


def test_request_a_buy_back(bnet, open_portal):
    portal = open_portal(bnet.anna, width=PHONE)
    portal.goto("/portal/buyback/")
    problems = audit(portal, "flow-buyback", width=PHONE)
    form = portal.page.locator("main form.form")
    form.locator("input[type=number]").first.fill("1")
    form.get_by_role("button", name="Send buy-back request").click()
    portal.page.wait_for_load_state()
    problems += audit(portal, "flow-buyback-sent", width=PHONE)
    assert BuybackRequest.objects.filter(distributor=bnet.anna).count() == 2
    assert not problems, "\n".join(problems)


def test_open_a_statement_and_its_csv(s1, open_portal):
    portal = open_portal("a-login", width=PHONE)
    portal.goto("/portal/statements/")
    problems = audit(portal, "flow-statements", width=PHONE)
    portal.page.locator("main a[href='/portal/statements/2026-10/']").first.click()
    portal.page.wait_for_url(re.compile(r"/portal/statements/2026-10/$"))
    problems += audit(portal, "flow-statement", width=PHONE)
    expect(portal.page.locator("main")).to_contain_text("292.50")
    with portal.page.expect_download() as download:
        portal.page.get_by_role("link", name="Download CSV").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    assert "292.50" in text or "200.00" in text, text[:500]
    portal.page.get_by_role("link", name="Printable page").click()
    portal.page.wait_for_url(re.compile(r"/print/$"))
    problems += audit(portal, "flow-statement-print", width=PHONE)
    assert not problems, "\n".join(problems)


def test_reset_a_forgotten_password_through_the_email(bnet, open_portal):
    portal = open_portal(width=PHONE)
    portal.goto("/portal/login/")
    portal.page.get_by_role("link", name="Forgot your password?").click()
    portal.page.wait_for_url(re.compile(r"/account/password-reset/$"))
    problems = audit(portal, "flow-password-reset", width=PHONE)
    mail.outbox.clear()
    portal.page.locator("input[name=email]").fill(bnet.anna.user.email)
    portal.page.get_by_role("button", name="Send me a link").click()
    portal.page.wait_for_url(re.compile(r"/account/password-reset/sent/$"))
    assert len(mail.outbox) == 1, mail.outbox
    link = re.search(r"https?://\S+/account/password-reset/\S+/\S+/", mail.outbox[0].body).group(0)
    portal.goto(urlsplit(link).path)
    problems += audit(portal, "flow-password-set", width=PHONE)
    new_password = "Fiets-en-dijk-2027"
    portal.page.locator("input[name=new_password1]").fill(new_password)
    portal.page.locator("input[name=new_password2]").fill(new_password)
    portal.page.get_by_role("button", name="Set my password").click()
    portal.page.wait_for_url(re.compile(r"/account/password-set/$"))
    signed_in = open_portal(bnet.anna, width=PHONE, password=new_password)
    assert signed_in.path() == "/portal/"
    assert not problems, "\n".join(problems)
