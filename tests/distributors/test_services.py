import pytest

from core.errors import AddressUnavailable, ApplicationError, Conflict, NotFound, PermissionDenied
from core.models import AuditEntry
from distributors.models import Distributor, DistributorStatus, SponsorChange
from distributors.services.enrollment import distributor_enroll
from distributors.services.moves import distributor_move
from distributors.services.profile import distributor_update_profile
from distributors.services.referral_codes import REFERRAL_ALPHABET
from distributors.services.status import distributor_set_status, distributor_terminate

from .factories import DistributorFactory
from .helpers import assert_tree_ok


def sponsor_of(d):
    return Distributor.objects.get(pk=d.pk).sponsor_id


def test_enroll_under_sponsor_by_referral_code(network):
    eva = network["eva"]
    new = distributor_enroll(
        referral_code=eva.referral_code.lower(),
        first_name=" Gijs ",
        last_name="de Boer",
        email="Gijs@Example.NL",
        country="nl",
    )
    assert new.sponsor_id == eva.pk
    assert new.first_name == "Gijs"
    assert new.email == "gijs@example.nl"
    assert new.country == "NL"
    assert new.level == 2
    assert len(new.referral_code) == 8
    assert set(new.referral_code) <= set(REFERRAL_ALPHABET)
    assert new.external_id.startswith("D")
    assert_tree_ok()


def test_enroll_by_sponsor_id_with_login(network):
    new = distributor_enroll(
        sponsor_id=network["cor"].pk,
        first_name="Hans",
        last_name="Kok",
        email="hans@example.nl",
        password="a-long-enough-password-42",
        external_id="NL-77",
    )
    assert new.user.username == "hans@example.nl"
    assert new.user.check_password("a-long-enough-password-42")
    assert new.external_id == "NL-77"
    assert new.level == 4
    assert_tree_ok()


def test_enroll_errors(network):
    base = dict(first_name="Ida", last_name="Bos", email="ida@example.nl")
    with pytest.raises(NotFound) as exc:
        distributor_enroll(referral_code="ZZZZZZZZ", **base)
    assert exc.value.field == "referral_code"
    with pytest.raises(NotFound) as exc:
        distributor_enroll(sponsor_id=999_999, **base)
    assert exc.value.field == "sponsor_id"
    with pytest.raises(ApplicationError) as exc:
        distributor_enroll(sponsor=network["eva"], referral_code=network["anna"].referral_code, **base)
    assert exc.value.field == "referral_code"
    with pytest.raises(Conflict) as exc:
        distributor_enroll(sponsor=network["eva"], **{**base, "email": network["anna"].email.upper()})
    assert exc.value.field == "email"
    with pytest.raises(ApplicationError) as exc:
        distributor_enroll(sponsor=network["eva"], **{**base, "email": "not-an-email"})
    assert exc.value.field == "email"
    with pytest.raises(ApplicationError) as exc:
        distributor_enroll(sponsor=network["eva"], **{**base, "first_name": "  "})
    assert exc.value.field == "first_name"
    with pytest.raises(ApplicationError) as exc:
        distributor_enroll(sponsor=network["eva"], country="Nederland", **base)
    assert exc.value.field == "country"
    with pytest.raises(Conflict) as exc:
        distributor_enroll(sponsor=network["eva"], external_id=network["anna"].external_id, **base)
    assert exc.value.field == "external_id"
    with pytest.raises(ApplicationError) as exc:
        distributor_enroll(sponsor=network["eva"], password="123", **base)
    assert exc.value.field == "password"
    assert Distributor.objects.count() == 7
    assert_tree_ok()


UNAVAILABLE = "This e-mail address cannot be used here. Use another address, or ask the person to contact us."


def test_enrolment_refuses_a_taken_address_without_saying_who_holds_it(network, django_user_model, caplog):
    """privacy.md: a distributor's address and a login's address get one refusal; staff see why."""
    django_user_model.objects.create_user("login@example.nl", "login@example.nl", "x")
    sponsor = network["anna"]
    sponsor_user = django_user_model.objects.create_user("anna-login")
    base = dict(first_name="Ida", last_name="Bos")
    answers = []
    for email in (network["eva"].email.upper(), "login@example.nl"):
        with pytest.raises(AddressUnavailable) as exc:
            distributor_enroll(sponsor=sponsor, email=email, invite=True, actor=sponsor_user, **base)
        answers.append((type(exc.value), exc.value.message, exc.value.field))
    assert answers == [(AddressUnavailable, UNAVAILABLE, "email")] * 2
    # Staff (the admin) keep the precise reason.
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    with pytest.raises(AddressUnavailable, match="A distributor with this email address already exists."):
        distributor_enroll(sponsor=sponsor, email=network["eva"].email, invite=True, actor=staff, **base)
    with pytest.raises(AddressUnavailable, match="A login with this email address already exists."):
        distributor_enroll(sponsor=sponsor, email="login@example.nl", invite=True, actor=staff, **base)
    assert Distributor.objects.count() == 7
    # Every refusal is logged with its reason and a fingerprint of the address, not the address.
    refusals = [r.getMessage() for r in caplog.records if r.name == "backoffice.privacy"]
    assert len(refusals) == 4
    assert refusals[0].startswith(f"e-mail address refused: operation=enrollment actor={sponsor_user.pk} ")
    assert "reason=distributor" in refusals[0] and "reason=login" in refusals[1]
    assert not any("@" in message for message in refusals)


def test_a_distributor_changes_only_their_own_contact_data(network, django_user_model):
    user = django_user_model.objects.create_user("dirk@login.nl")
    Distributor.objects.filter(pk=network["dirk"].pk).update(user=user)
    dirk = Distributor.objects.get(pk=network["dirk"].pk)
    changed = distributor_update_profile(distributor=dirk, actor=user, first_name="Dirk-Jan", phone="06 2")
    assert (changed.first_name, changed.phone) == ("Dirk-Jan", "06 2")
    with pytest.raises(ApplicationError, match="cannot be changed here: country"):
        distributor_update_profile(distributor=dirk, actor=user, country="BE")
    with pytest.raises(PermissionDenied):
        distributor_update_profile(distributor=network["anna"], actor=user, first_name="Not me")
    with pytest.raises(AddressUnavailable, match="cannot be used here"):
        distributor_update_profile(
            distributor=dirk, actor=user, password_checked=True, email=network["anna"].email
        )


def test_terminated_distributor_cannot_sponsor(network, staff):
    distributor_terminate(distributor=network["fenna"], actor=staff, reason="Left the company")
    with pytest.raises(ApplicationError) as exc:
        DistributorFactory(sponsor=network["fenna"])
    assert "terminated and cannot sponsor" in str(exc.value)
    assert exc.value.field == "sponsor"


def test_email_of_a_terminated_distributor_can_enroll_again(network, staff):
    distributor_terminate(distributor=network["dirk"], actor=staff, reason="Quit")
    again = DistributorFactory(sponsor=network["eva"], email=network["dirk"].email)
    assert again.sponsor_id == network["eva"].pk


def test_move_takes_the_whole_downline(network, staff):
    anna, bram, cor, eva = network["anna"], network["bram"], network["cor"], network["eva"]
    moved = distributor_move(distributor=bram, new_sponsor=eva, actor=staff, reason="Asked by both")
    assert moved.sponsor_id == eva.pk
    assert moved.level == 2
    assert Distributor.objects.get(pk=cor.pk).level == 3
    assert sponsor_of(cor) == bram.pk
    change = SponsorChange.objects.get(distributor=bram)
    assert (change.kind, change.old_sponsor_id, change.new_sponsor_id, change.changed_by_id) == (
        "move",
        anna.pk,
        eva.pk,
        staff.pk,
    )
    assert change.reason == "Asked by both"
    entry = AuditEntry.objects.get(action="distributor.move")
    assert entry.actor_id == staff.pk
    assert entry.data == {"old_sponsor": anna.pk, "new_sponsor": eva.pk}
    assert_tree_ok()


def test_move_with_stale_instances(network, staff):
    """Instances read before other writes still move correctly: the service re-reads them."""
    stale_dirk, stale_fenna = network["dirk"], network["fenna"]
    DistributorFactory(sponsor=network["root"])
    DistributorFactory(sponsor=network["anna"])
    distributor_move(distributor=stale_dirk, new_sponsor=stale_fenna, actor=staff, reason="Fix")
    assert sponsor_of(stale_dirk) == stale_fenna.pk
    assert_tree_ok()


def test_move_refusals(network, staff, django_user_model):
    anna, bram, cor = network["anna"], network["bram"], network["cor"]
    with pytest.raises(ApplicationError) as exc:
        distributor_move(distributor=anna, new_sponsor=cor, actor=staff, reason="x")
    assert "own downline" in str(exc.value)
    assert exc.value.field == "new_sponsor"
    with pytest.raises(ApplicationError) as exc:
        distributor_move(distributor=anna, new_sponsor=anna, actor=staff, reason="x")
    assert exc.value.field == "new_sponsor"
    with pytest.raises(ApplicationError) as exc:
        distributor_move(distributor=bram, new_sponsor=anna, actor=staff, reason="x")
    assert "already sponsored" in str(exc.value)
    with pytest.raises(ApplicationError) as exc:
        distributor_move(distributor=bram, new_sponsor=network["eva"], actor=staff, reason="  ")
    assert exc.value.field == "reason"
    member = django_user_model.objects.create_user("member")
    with pytest.raises(PermissionDenied):
        distributor_move(distributor=bram, new_sponsor=network["eva"], actor=member, reason="x")
    with pytest.raises(PermissionDenied):
        distributor_move(distributor=bram, new_sponsor=network["eva"], actor=None, reason="x")
    assert SponsorChange.objects.count() == 0
    assert_tree_ok()


def test_terminate_rolls_the_frontline_up(network, staff):
    anna, bram, dirk, cor, root = (network[k] for k in ("anna", "bram", "dirk", "cor", "root"))
    done = distributor_terminate(distributor=anna, actor=staff, reason="Compliance breach")
    assert done.status == DistributorStatus.TERMINATED
    assert done.terminated_at is not None
    assert done.sponsor_id == root.pk
    assert done.get_descendant_count() == 0
    assert sponsor_of(bram) == root.pk
    assert sponsor_of(dirk) == root.pk
    assert sponsor_of(cor) == bram.pk
    assert Distributor.objects.get(pk=cor.pk).level == 2
    rollups = SponsorChange.objects.filter(kind="termination_rollup").order_by("distributor_id")
    assert [(c.distributor_id, c.old_sponsor_id, c.new_sponsor_id) for c in rollups] == [
        (bram.pk, anna.pk, root.pk),
        (dirk.pk, anna.pk, root.pk),
    ]
    assert_tree_ok()
    with pytest.raises(Conflict):
        distributor_terminate(distributor=anna, actor=staff, reason="again")
    with pytest.raises(ApplicationError):
        distributor_move(distributor=anna, new_sponsor=network["eva"], actor=staff, reason="x")


def test_terminating_a_root_with_a_frontline_is_refused(network, staff):
    with pytest.raises(ApplicationError) as exc:
        distributor_terminate(distributor=network["root"], actor=staff, reason="x")
    assert "is a root with 2 distributor(s)" in str(exc.value)
    assert Distributor.objects.get(pk=network["root"].pk).status == DistributorStatus.ACTIVE


def test_set_status(network, staff):
    eva = network["eva"]
    held = distributor_set_status(distributor=eva, status="hold", actor=staff, reason="Unpaid")
    assert held.status == DistributorStatus.HOLD
    assert distributor_set_status(distributor=eva, status="active", actor=staff, reason="Paid").status == (
        DistributorStatus.ACTIVE
    )
    with pytest.raises(ApplicationError) as exc:
        distributor_set_status(distributor=eva, status="terminated", actor=staff, reason="x")
    assert exc.value.field == "status"
    entries = AuditEntry.objects.filter(action="distributor.set_status")
    assert list(entries.values_list("data", flat=True)) == [
        {"old": "hold", "new": "active"},
        {"old": "active", "new": "hold"},
    ]


def test_a_second_root_moves_into_the_tree_with_its_downline(network, staff):
    other = DistributorFactory(first_name="Other", last_name="Root")
    recruit = DistributorFactory(sponsor=other)
    assert other.tree_id != network["root"].tree_id
    moved = distributor_move(distributor=other, new_sponsor=network["fenna"], actor=staff, reason="Merger")
    assert (moved.sponsor_id, moved.level, moved.tree_id) == (
        network["fenna"].pk,
        3,
        Distributor.objects.get(pk=network["root"].pk).tree_id,
    )
    assert Distributor.objects.get(pk=recruit.pk).level == 4
    assert_tree_ok()
