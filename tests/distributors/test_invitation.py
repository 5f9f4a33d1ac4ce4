"""A recruit's login is theirs alone: enrolment invites them to choose their own password.

The e-mail leaves after the enrolment commits (never before the row exists), once per
invitation; its link works once and for INVITATION_DAYS; "Forgot your password?" replaces an
expired one. Mail goes through Django's locmem backend in tests (mail.outbox).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from rest_framework.test import APIClient

from core.accounts.tokens import InvitationTokenGenerator, invitation_token_generator
from core.errors import ApplicationError, Conflict, PermissionDenied
from core.models import AuditEntry
from distributors.invitations import distributor_invitation_resend, invitation_language, invitation_send
from distributors.models import Distributor
from distributors.services.enrollment import distributor_enroll
from notifications.demo import muted

from .factories import DistributorFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Zonnebloem-Akker-2027"


@pytest.fixture(autouse=True)
def _notifications_muted():
    """These tests count the invitation's mails: the sponsor's "new member" notice is another
    app's (tests/notifications)."""
    with muted():
        yield


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.PUBLIC_URL = "https://backoffice.example.nl/"
    settings.DEFAULT_FROM_EMAIL = "Backoffice <noreply@example.nl>"
    settings.INVITATION_DAYS = 7


def enroll(sponsor, email="nina@example.nl", country="NL", language="en", **extra):
    return distributor_enroll(
        sponsor=sponsor,
        first_name="Nina",
        last_name="Nieuw",
        email=email,
        country=country,
        invite=True,
        language=language,
        **extra,
    )


def link_in(message) -> str:
    return re.search(r"https://backoffice\.example\.nl/account/\S+", message.body).group(0)


def test_enrolment_creates_a_login_without_password_and_mails_after_commit(
    network, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        nina = enroll(network["anna"])
        assert mail.outbox == []  # nothing leaves before the enrolment commits
    assert [c for c in callbacks if "invitation" in c.__qualname__]
    assert (nina.user.username, nina.user.email, nina.user.has_usable_password()) == (
        "nina@example.nl",
        "nina@example.nl",
        False,
    )
    [message] = mail.outbox
    assert message.to == ["nina@example.nl"]
    assert message.from_email == "Backoffice <noreply@example.nl>"
    with translation.override("nl"):  # the recruit's market reads Dutch
        assert message.subject == gettext("Welcome: choose the password of your distributor login")
    assert "Anna de Vries" in message.body
    assert link_in(message).startswith("https://backoffice.example.nl/account/invitation/")
    assert "https://backoffice.example.nl/account/password-reset/" in message.body
    invite = AuditEntry.objects.get(action="distributor.invite")
    sent = AuditEntry.objects.get(action="distributor.invitation_sent")
    assert invite.data["invitation"] == sent.data["invitation"]
    assert (invite.data["language"], sent.target_id) == ("nl", str(nina.pk))


def test_a_refused_enrolment_sends_nothing(network, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            enroll(network["anna"])
            raise RuntimeError("the request failed after the enrolment")
    assert (callbacks, mail.outbox) == ([], [])
    assert not Distributor.objects.filter(email="nina@example.nl").exists()


def test_the_send_is_idempotent_per_invitation(network, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        nina = enroll(network["anna"])
    invitation = AuditEntry.objects.get(action="distributor.invite").data["invitation"]
    # The task delivered again (a worker lost after sending): no second e-mail.
    assert invitation_send(distributor_id=nina.pk, invitation=invitation, language="nl") is False
    assert len(mail.outbox) == 1
    assert AuditEntry.objects.filter(action="distributor.invitation_sent").count() == 1


@pytest.mark.parametrize(
    ("country", "requested", "language"),
    [("NL", "en", "nl"), ("BE", "en", "nl"), ("DE", "en", "en"), ("DE", "nl", "nl"), ("FR", "fr", "en")],
)
def test_the_language_follows_the_market_else_the_request(country, requested, language):
    assert invitation_language(country=country, requested=requested) == language


def test_an_english_recruit_gets_an_english_e_mail(network, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enroll(network["anna"], country="DE", language="en")
    [message] = mail.outbox
    assert message.subject == "Welcome: choose the password of your distributor login"
    assert "Anna de Vries has enrolled you as a distributor." in message.body
    assert "The link works once and for 7 days." in message.body


def test_the_link_sets_the_recruits_own_password_once(network, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        nina = enroll(network["anna"])
    link = link_in(mail.outbox[0]).removeprefix("https://backoffice.example.nl")
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    # Django moves the token out of the address into the session, so it never leaks in a Referer.
    set_url = form_page.redirect_chain[-1][0]
    assert set_url.endswith("/set-password/")
    mismatch = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": "other"})
    assert mismatch.status_code == 200 and mismatch.context["form"].errors
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("account:password-set-done")
    nina.user.refresh_from_db()
    assert nina.user.check_password(NEW_PASSWORD)
    # Single use: the same link no longer works.
    again = APIClient().get(link, follow=True)
    assert again.context["validlink"] is False
    assert "Forgot your password?" in again.content.decode()
    token = APIClient().post(
        "/api/v1/auth/token/", {"username": "nina@example.nl", "password": NEW_PASSWORD}, format="json"
    )
    assert token.status_code == 200


def test_the_link_expires_after_the_invitation_days(network, client, monkeypatch):
    nina = enroll(network["anna"])
    token = invitation_token_generator.make_token(nina.user)
    assert invitation_token_generator.check_token(nina.user, token)
    later = dt.datetime.now() + dt.timedelta(days=7, minutes=1)
    monkeypatch.setattr(InvitationTokenGenerator, "_now", lambda self: later)
    assert not invitation_token_generator.check_token(nina.user, token)
    # A reset token is no invitation token, and the other way round.
    assert not invitation_token_generator.check_token(
        nina.user, default_token_generator.make_token(nina.user)
    )


def test_forgot_your_password_also_serves_an_invited_login(
    network, client, django_capture_on_commit_callbacks
):
    nina = enroll(network["anna"])
    page = client.get(reverse("account:password-reset"))
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account:password-reset"), {"email": "NINA@example.nl"})
    assert response["Location"] == reverse("account:password-reset-sent")
    [message] = mail.outbox
    link = link_in(message).removeprefix("https://backoffice.example.nl")
    assert link.startswith("/account/password-reset/")
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    nina.user.refresh_from_db()
    assert nina.user.check_password(NEW_PASSWORD)


def test_forgot_your_password_mails_one_address_at_most_three_times_an_hour(
    network, client, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    cache.clear()
    enroll(network["anna"])
    url = reverse("account:password-reset")
    with django_capture_on_commit_callbacks(execute=True):
        answers = [client.post(url, {"email": "nina@example.nl"})["Location"] for _ in range(5)]
    assert answers == [reverse("account:password-reset-sent")] * 5
    assert len(mail.outbox) == 3
    cache.clear()


def test_forgot_your_password_says_the_same_for_an_unknown_address(client):
    response = client.post(reverse("account:password-reset"), {"email": "nobody@example.nl"})
    assert response["Location"] == reverse("account:password-reset-sent")
    assert mail.outbox == []


class _FailingBackend:
    """A mail server that is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_forgot_your_password_answers_alike_when_the_mail_server_is_down(
    network, client, settings, django_capture_on_commit_callbacks
):
    """A known address must not answer 500 (nor slower) where an unknown one answers 302."""
    from django.core.cache import cache

    cache.clear()
    enroll(network["anna"])
    settings.EMAIL_BACKEND = f"{__name__}._FailingBackend"
    url = reverse("account:password-reset")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        known = client.post(url, {"email": "nina@example.nl"})
        assert mail.outbox == []  # nothing is sent inside the request: the mail waits for the commit
    assert len(callbacks) == 1
    unknown = client.post(url, {"email": "nobody@example.nl"})
    assert (known.status_code, known["Location"]) == (302, reverse("account:password-reset-sent"))
    assert (unknown.status_code, unknown["Location"]) == (302, reverse("account:password-reset-sent"))
    assert mail.outbox == []
    cache.clear()


def test_the_pages_fit_a_phone_and_carry_no_inline_script(network, client):
    for url in (reverse("account:password-reset"), reverse("account:password-reset-sent")):
        html = client.get(url).content.decode()
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        # Scripts only from files (the portal's layout and htmx), never inline; no inline styles.
        assert re.findall(r"<script(?![^>]*\bsrc=)", html) == [] and "style=" not in html
    with translation.override("en"):  # the request activates Dutch; do not leak it into later tests
        dutch = client.get(reverse("account:password-reset"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert '<html lang="nl">' in dutch


def test_the_api_enrolment_invites_in_the_request_language(network, django_capture_on_commit_callbacks):
    anna = network["anna"]
    anna.user = None
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("anna-login", "anna@example.nl", "x")
    Distributor.objects.filter(pk=anna.pk).update(user=user)
    client = APIClient()
    client.force_authenticate(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/enrollments/",
            {"first_name": "Jon", "last_name": "Smith", "email": "jon@example.com", "country": "GB"},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 201, response.content
    [message] = mail.outbox
    assert (message.to, message.subject) == (
        ["jon@example.com"],
        "Welcome: choose the password of your distributor login",
    )


def test_the_admin_enrolment_invites_and_staff_can_send_a_new_invitation(
    network, client, admin_user, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:distributors_distributor_add"),
            {
                "sponsor": network["cor"].pk,
                "first_name": "Jan",
                "last_name": "Peters",
                "email": "jan@example.nl",
                "country": "NL",
            },
        )
    jan = Distributor.objects.get(email="jan@example.nl")
    assert (jan.user.username, jan.user.has_usable_password()) == ("jan@example.nl", False)
    assert [m.to for m in mail.outbox] == [["jan@example.nl"]]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:distributors_distributor_changelist"),
            {"action": "send_invitation_action", ACTION_CHECKBOX_NAME: [jan.pk]},
            follow=True,
        )
    assert "1 invitation sent." in response.content.decode()
    assert [m.to for m in mail.outbox] == [["jan@example.nl"], ["jan@example.nl"]]
    assert AuditEntry.objects.filter(action="distributor.invitation_sent", target_id=str(jan.pk)).count() == 2


def test_a_new_invitation_makes_every_earlier_link_stop_working(
    network, client, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        nina = enroll(network["anna"])
    with django_capture_on_commit_callbacks(execute=True):
        distributor_invitation_resend(distributor=nina, actor=staff)
    first, newest = (link_in(m).removeprefix("https://backoffice.example.nl") for m in mail.outbox)
    assert first != newest
    assert APIClient().get(first, follow=True).context["validlink"] is False
    assert client.get(newest, follow=True).context["validlink"] is True


def test_actor_is_staff_is_false_for_the_system_and_anonymous(staff, network):
    from django.contrib.auth.models import AnonymousUser

    from core.accounts.services import actor_is_staff

    assert [actor_is_staff(a) for a in (None, AnonymousUser(), network["anna"].user, staff)] == [
        False,
        False,
        False,
        True,
    ]


def test_a_new_invitation_is_refused_once_the_password_is_chosen(network, staff):
    nina = enroll(network["anna"])
    nina.user.set_password(NEW_PASSWORD)
    nina.user.save()
    with pytest.raises(Conflict, match="has already chosen a password"):
        distributor_invitation_resend(distributor=nina, actor=staff)
    with pytest.raises(PermissionDenied):
        distributor_invitation_resend(distributor=nina, actor=nina.user)


def test_a_distributor_without_a_login_gets_one_with_a_new_invitation(network, staff):
    eva = network["eva"]
    assert eva.user is None
    distributor_invitation_resend(distributor=eva, actor=staff)
    eva.refresh_from_db()
    assert (eva.user.username, eva.user.has_usable_password()) == (eva.email, False)


def test_an_invitation_takes_no_password_and_no_user(network):
    with pytest.raises(ApplicationError, match="chooses their own password") as err:
        enroll(network["anna"], password=NEW_PASSWORD)
    assert err.value.field == "password"
    assert not Distributor.objects.filter(email="nina@example.nl").exists()
    # Enrolment without an invitation (the factory, an import) creates no login, as before.
    assert DistributorFactory().user is None
