"""The distributor agreement: publish (once, in order, with the required clauses), accept (the
current version only, once, also when two accepts race), who has not accepted, the admin, and the
acceptances in the distributor's data export."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError, Conflict, PermissionDenied
from core.models import AuditEntry
from distributors.agreement_selectors import (
    agreement_accepted,
    agreement_current,
    agreement_not_accepted_ids,
    agreement_pending_distributors,
    agreement_pending_for,
)
from distributors.agreements import AcceptanceChannel, AgreementAcceptance, ClauseKind
from distributors.models import DistributorStatus
from distributors.services.agreements import agreement_accept, agreement_version_publish
from privacy.selectors import distributor_personal_data

from .agreement_helpers import draft_version, published_version
from .factories import DistributorFactory, StaffFactory

pytestmark = pytest.mark.django_db


def with_login(distributor, username: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username, password="x")
    distributor.user = user
    distributor.save(update_fields=["user"])
    return user


def accept(distributor, version, **kwargs):
    return agreement_accept(
        distributor=distributor, version=version, actor=distributor.user, language="en", **kwargs
    )


# --- publish


def test_publishing_makes_a_version_current_and_fixes_it(staff):
    assert agreement_current() is None
    draft = draft_version(1)
    with pytest.raises(PermissionDenied):
        agreement_version_publish(version=draft, actor=None)
    version = agreement_version_publish(version=draft, actor=staff)
    assert version.published_at is not None and version.published_by == staff
    assert agreement_current() == version
    with pytest.raises(Conflict, match="already published"):
        agreement_version_publish(version=version, actor=staff)
    entry = AuditEntry.objects.get(action="distributors.agreement_publish")
    assert entry.data["text_hash"]["en"] == version.text_hash("en") != version.text_hash("nl")


def test_a_version_needs_both_required_clauses_and_a_higher_number(staff):
    without = draft_version(1, clauses=(ClauseKind.INDEPENDENT_CONTRACTOR, ClauseKind.POLICY))
    with pytest.raises(ApplicationError, match="Consent to self-billing") as error:
        agreement_version_publish(version=without, actor=staff)
    assert error.value.field == "clauses"
    published_version(staff, number=3)
    with pytest.raises(Conflict, match="higher number"):
        agreement_version_publish(version=draft_version(2), actor=staff)


def test_a_published_version_cannot_be_saved_again(staff):
    from distributors.services.agreements import agreement_version_save_draft

    version = published_version(staff)
    version.title_en = "Changed"
    with pytest.raises(Conflict, match="can no longer change"):
        agreement_version_save_draft(version=version)


# --- accept


def test_accepting_records_the_evidence_once(staff, network):
    anna = network["anna"]
    with_login(anna, "anna")
    version = published_version(staff)
    assert agreement_pending_for(anna) == version and not agreement_accepted(anna)
    first = accept(anna, version, ip_address="192.0.2.7", user_agent="Firefox")
    assert (first.channel, first.language, first.ip_address, first.user_agent) == (
        AcceptanceChannel.PORTAL, "en", "192.0.2.7", "Firefox",
    )  # fmt: skip
    assert first.text_hash == version.text_hash("en") and len(first.text_hash) == 64
    assert first.accepted_by == anna.user
    again = accept(anna, version)
    assert again.pk == first.pk and AgreementAcceptance.objects.count() == 1
    assert agreement_accepted(anna) and agreement_pending_for(anna) is None
    assert AuditEntry.objects.filter(action="distributors.agreement_accept").count() == 1


def test_a_new_version_asks_everyone_again_and_the_old_one_is_refused(staff, network):
    anna = network["anna"]
    with_login(anna, "anna")
    v1 = published_version(staff, 1)
    accept(anna, v1)
    before_v2 = timezone.now()
    v2 = published_version(staff, 2)
    assert not agreement_accepted(anna)
    assert agreement_accepted(anna, at=before_v2)  # what held then: v1, accepted
    AgreementAcceptance.objects.filter(distributor=anna).delete()
    with pytest.raises(ApplicationError, match="not the current one") as error:
        accept(anna, v1)
    assert error.value.field == "version"
    accept(anna, v2)
    assert agreement_accepted(anna)


def test_only_the_distributor_accepts_for_themselves_and_staff_record_paper(staff, network):
    anna, eva = network["anna"], network["eva"]
    with_login(anna, "anna")
    version = published_version(staff)
    with pytest.raises(PermissionDenied):
        agreement_accept(distributor=eva, version=version, actor=anna.user, language="en")
    with pytest.raises(PermissionDenied):
        agreement_accept(
            distributor=eva, version=version, actor=anna.user, language="en", channel=AcceptanceChannel.PAPER
        )
    paper = agreement_accept(
        distributor=eva, version=version, actor=staff, language="nl",
        channel=AcceptanceChannel.PAPER, note="Signed 2026-12-01, file 17",
    )  # fmt: skip
    assert (paper.accepted_by, paper.text_hash) == (staff, version.text_hash("nl"))


def test_who_has_not_accepted(staff, network):
    for name in ("anna", "eva"):
        with_login(network[name], name)
    assert agreement_not_accepted_ids([network["anna"].pk]) == set()  # no version yet: nobody
    version = published_version(staff)
    accept(network["anna"], version)
    network["fenna"].status = DistributorStatus.TERMINATED
    network["fenna"].save(update_fields=["status"])
    ids = [d.pk for d in network.values()]
    assert agreement_not_accepted_ids(ids) == {d.pk for n, d in network.items() if n != "anna"}
    pending = {d.first_name for d in agreement_pending_distributors(version)}
    assert pending == {"Root", "Eva", "Bram", "Dirk", "Cor"}


@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_keep_one_row():
    staff = StaffFactory()
    anna = DistributorFactory(first_name="Anna")
    with_login(anna, "anna-race")
    version = published_version(staff)
    barrier = threading.Barrier(2, timeout=30)
    results, errors = [], []

    def run() -> None:
        try:
            barrier.wait()
            results.append(accept(anna, version).pk)
        except BaseException as exc:  # noqa: B036 - reported to the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1 and AgreementAcceptance.objects.count() == 1


# --- admin


def test_the_admin_publishes_a_draft_and_shows_published_ones_read_only(admin_client, network):
    draft = draft_version(1)
    change = reverse("admin:distributors_agreementversion_change", args=[draft.pk])
    assert admin_client.get(change).status_code == 200
    response = admin_client.post(
        reverse("admin:distributors_agreementversion_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert "every distributor is asked to accept it" in response.content.decode()
    draft.refresh_from_db()
    assert draft.published_at is not None
    page = admin_client.get(change)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    refused = admin_client.post(change, {"number": 1, "title_en": "Changed", "title_nl": "x"})
    assert refused.status_code == 403
    draft.refresh_from_db()
    assert draft.title_en == "Agreement 1"


def test_the_admin_records_a_paper_acceptance_and_lists_who_has_not_accepted(
    admin_client, admin_user, network
):
    version = published_version(admin_user)
    add = reverse("admin:distributors_agreementacceptance_add")
    assert admin_client.get(add).status_code == 200
    response = admin_client.post(
        add,
        {
            "distributor": network["eva"].pk,
            "version": version.pk,
            "language": "nl",
            "note": "Signed on paper",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    paper = AgreementAcceptance.objects.get(distributor=network["eva"])
    assert (paper.channel, paper.accepted_by, paper.language) == (AcceptanceChannel.PAPER, admin_user, "nl")
    assert AuditEntry.objects.filter(action="distributors.agreement_accept", actor=admin_user).exists()
    twice = admin_client.post(
        add, {"distributor": network["eva"].pk, "version": version.pk, "language": "nl", "note": "Again"}
    )
    assert twice.status_code == 200 and "already accepted" in twice.content.decode()
    listing = admin_client.get(
        reverse("admin:distributors_agreementacceptance_changelist"), {"version__id__exact": version.pk}
    )
    assert listing.status_code == 200 and "Eva" in listing.content.decode()
    csv = admin_client.get(reverse("admin:distributors_agreementversion_pending", args=[version.pk]))
    lines = csv.content.decode().splitlines()
    assert lines[0] == "external_id,first_name,last_name,email,status,enrolled_at"
    assert len(lines) == 1 + 6 and not any(",Eva," in line for line in lines)
    detail = reverse("admin:distributors_agreementacceptance_change", args=[paper.pk])
    assert admin_client.get(detail).status_code == 200
    assert (
        admin_client.post(
            reverse("admin:distributors_agreementacceptance_delete", args=[paper.pk])
        ).status_code
        == 403
    )


# --- privacy


def test_the_acceptances_are_in_the_distributors_data_export(staff, network):
    anna = network["anna"]
    with_login(anna, "anna")
    v1 = published_version(staff, 1)
    accept(anna, v1, ip_address="192.0.2.7", user_agent="Firefox")
    data = distributor_personal_data(anna)
    (row,) = data["agreement_acceptances"]
    assert row["version"] == 1 and row["channel"] == "portal" and row["ip_address"] == "192.0.2.7"
    assert row["text_hash"] == v1.text_hash("en")
    assert dt.datetime.fromisoformat(row["accepted_at"]) <= timezone.now()
    assert any(e["action"] == "distributors.agreement_accept" for e in data["audit_entries"])


def test_erasure_keeps_the_acceptance_but_not_the_device(staff, network):
    from distributors.personal_data import distributor_erase
    from distributors.services.status import distributor_terminate

    anna = network["anna"]
    with_login(anna, "anna")
    accept(anna, published_version(staff), ip_address="192.0.2.7", user_agent="Firefox")
    distributor_terminate(distributor=anna, actor=staff, reason="leaves")
    anna.refresh_from_db()
    distributor_erase(distributor=anna, actor=staff, reason="GDPR request")
    kept = AgreementAcceptance.objects.get(distributor=anna)
    assert (kept.ip_address, kept.user_agent, kept.version.number) == (None, "", 1)


# --- terminated distributors


def backdate(version, days: int):
    from distributors.agreements import AgreementVersion

    at = timezone.now() - dt.timedelta(days=days)
    AgreementVersion.objects.filter(pk=version.pk).update(published_at=at)
    version.refresh_from_db()
    return at


def terminate(distributor, days_ago: int) -> None:
    distributor.status = DistributorStatus.TERMINATED
    distributor.terminated_at = timezone.now() - dt.timedelta(days=days_ago)
    distributor.save(update_fields=["status", "terminated_at"])


def test_a_terminated_distributor_is_held_only_for_a_version_in_force_while_they_earned(staff, network):
    anna, bram, cor = network["anna"], network["bram"], network["cor"]
    with_login(anna, "anna")
    v1 = published_version(staff, 1)
    backdate(v1, 60)
    accept(anna, v1)
    v2 = published_version(staff, 2)
    backdate(v2, 10)
    terminate(anna, 5)  # accepted v1, not v2
    terminate(bram, 5)  # accepted nothing
    ids = [anna.pk, bram.pk, cor.pk]
    now = timezone.now()
    before_v2 = (now - dt.timedelta(days=40), now - dt.timedelta(days=20))
    assert agreement_not_accepted_ids(ids, earned_in=before_v2) == {bram.pk, cor.pk}
    under_v2 = (now - dt.timedelta(days=8), now - dt.timedelta(days=2))  # v2 alone applied
    assert agreement_not_accepted_ids(ids, earned_in=under_v2) == {anna.pk, bram.pk, cor.pk}
    assert agreement_not_accepted_ids(ids) == {anna.pk, bram.pk, cor.pk}  # at termination: v2
    before_any = (now - dt.timedelta(days=90), now - dt.timedelta(days=70))
    assert agreement_not_accepted_ids(ids, earned_in=before_any) == {cor.pk}  # active: the current one

    # A version published after they left never holds them; accepting a later one counts.
    published_version(staff, 3)
    assert agreement_not_accepted_ids(ids, earned_in=before_v2) == {bram.pk, cor.pk}
    agreement_accept(
        distributor=bram, version=v2, actor=staff, language="nl", channel=AcceptanceChannel.PAPER, note="x"
    )
    assert agreement_not_accepted_ids(ids, earned_in=before_v2) == {cor.pk}


def test_staff_record_a_terminated_distributors_paper_copy_of_a_version_they_worked_under(staff, network):
    anna = network["anna"]
    with_login(anna, "anna")
    v1 = published_version(staff, 1)
    backdate(v1, 30)
    terminate(anna, 5)
    v2 = published_version(staff, 2)  # after the termination
    with pytest.raises(Conflict, match="terminated distributor cannot accept"):
        accept(anna, v2)
    with pytest.raises(ApplicationError) as caught:
        agreement_accept(
            distributor=anna, version=v2, actor=staff, language="nl", channel=AcceptanceChannel.PAPER
        )
    assert caught.value.field == "version"
    with pytest.raises(PermissionDenied):
        agreement_accept(
            distributor=anna, version=v1, actor=anna.user, language="nl", channel=AcceptanceChannel.PAPER
        )
    paper = agreement_accept(
        distributor=anna, version=v1, actor=staff, language="nl", channel=AcceptanceChannel.PAPER
    )
    assert (paper.version, paper.channel, paper.accepted_by) == (v1, AcceptanceChannel.PAPER, staff)


def test_the_admin_records_a_terminated_distributors_paper_copy(admin_client, admin_user, network):
    eva = network["eva"]
    v1 = published_version(admin_user, 1)
    backdate(v1, 30)
    terminate(eva, 5)
    v2 = published_version(admin_user, 2)
    add = reverse("admin:distributors_agreementacceptance_add")
    refused = admin_client.post(add, {"distributor": eva.pk, "version": v2.pk, "language": "nl", "note": "x"})
    assert refused.status_code == 200 and "published before their termination" in refused.content.decode()
    response = admin_client.post(
        add, {"distributor": eva.pk, "version": v1.pk, "language": "nl", "note": "Signed, file 3"}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert AgreementAcceptance.objects.get(distributor=eva).version == v1
