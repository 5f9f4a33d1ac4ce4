"""Writes to distributors and the sponsor tree.

Every structural write (enroll, move, terminate, renumber) takes the sponsor-tree advisory lock
first, then locks the rows it reads with `select_for_update(no_key=True)` in id order, and only
then re-reads the nested-set numbers: instances passed in by callers may carry stale lft/rght.
See docs/adr/0001-sponsor-tree.md.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.accounts.services import actor_is_staff, user_tokens_revoke
from core.batches import chunked, matching
from core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from core.locks import SPONSOR_TREE_LOCK, advisory_xact_lock, email_claim_lock
from core.services import audit_record

from .addresses import REASON_DISTRIBUTOR, REASON_LOGIN, address_unavailable
from .invitations import invitation_language, invitation_schedule
from .models import Distributor, DistributorStatus, SponsorChange
from .selectors import email_in_use
from .tree import become_leaf, move_subtree, renumber_trees

# No 0/O, 1/I/L: a code read aloud or copied from paper cannot be mistyped into another one.
REFERRAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERRAL_CODE_LENGTH = 8
_CREATE_ATTEMPTS = 5


def referral_code_generate() -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _position in range(REFERRAL_CODE_LENGTH))


def referral_codes_derive(external_ids: list[str]) -> list[str]:
    """A referral code per external id (the import's): drawn from its hash, so importing the same
    files again derives the same codes; re-salted past a code already in use."""
    codes = [_referral_code_derived(ext, 0) for ext in external_ids]
    taken: set[str] = set()
    for batch in chunked(codes):
        taken.update(
            matching(Distributor.objects.all(), batch, "referral_code").values_list(
                "referral_code", flat=True
            )
        )
    result = []
    for ext, code in zip(external_ids, codes, strict=True):
        salt = 0
        while code in taken:
            salt += 1
            code = _referral_code_derived(ext, salt)
            if Distributor.objects.filter(referral_code=code).exists():
                taken.add(code)
        taken.add(code)
        result.append(code)
    return result


def _referral_code_derived(external_id: str, salt: int) -> str:
    number = int.from_bytes(hashlib.sha256(f"{external_id}#{salt}".encode()).digest()[:16], "big")
    letters = []
    for _position in range(REFERRAL_CODE_LENGTH):
        number, digit = divmod(number, len(REFERRAL_ALPHABET))
        letters.append(REFERRAL_ALPHABET[digit])
    return "".join(letters)


def _external_id_generate() -> str:
    return "D" + "".join(secrets.choice("0123456789") for _digit in range(9))


def _require_staff(actor: Any) -> None:
    if not actor_is_staff(actor):
        raise PermissionDenied(_("Only staff may change the sponsor tree or a distributor's status."))


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give a reason; it is kept in the history."), field="reason")
    return reason


def _clean_text(value: str, field: str, label: str, *, max_length: int = 100) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError(_("%(label)s is required.") % {"label": label}, field=field)
    if len(value) > max_length:
        raise ApplicationError(
            _("%(label)s is longer than %(max)d characters.") % {"label": label, "max": max_length},
            field=field,
        )
    return value


def _resolve_sponsor(
    *, sponsor: Distributor | None, sponsor_id: int | None, referral_code: str | None
) -> Distributor | None:
    """Lock and return the sponsor row named by exactly one of the three references."""
    given = [name for name, v in (("sponsor", sponsor), ("sponsor_id", sponsor_id)) if v is not None]
    if referral_code:
        given.append("referral_code")
    if len(given) > 1:
        raise ApplicationError(
            _("Name the sponsor once: by sponsor, sponsor id or referral code."), field=given[1]
        )
    if not given:
        return None
    rows = Distributor.objects.select_for_update(no_key=True)
    try:
        if referral_code:
            return rows.get(referral_code=referral_code.strip().upper())
        pk = sponsor.pk if sponsor is not None else sponsor_id
        return rows.get(pk=pk)
    except (Distributor.DoesNotExist, ValueError, TypeError):
        field = given[0]
        raise NotFound(
            _("No distributor has that referral code.")
            if field == "referral_code"
            else _("The sponsor does not exist."),
            field=field,
        ) from None


_CLEANERS = {
    "first_name": lambda v: _clean_text(v, "first_name", gettext_lazy("First name")),
    "last_name": lambda v: _clean_text(v, "last_name", gettext_lazy("Last name")),
    "email": lambda v: _clean_email(v),
    "phone": lambda v: _clean_phone(v),
    "country": lambda v: _clean_country(v),
}


def _clean_email(value: str) -> str:
    email = (value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(_("Enter a valid email address."), field="email") from None
    return email


def _clean_phone(value: str) -> str:
    phone = (value or "").strip()
    if len(phone) > 32:
        raise ApplicationError(_("Phone number is longer than 32 characters."), field="phone")
    return phone


def _clean_country(value: str) -> str:
    country = (value or "").strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise ApplicationError(_("Country must be a two-letter ISO code, e.g. NL."), field="country")
    return country


# What a distributor may change about themselves (PATCH /api/v1/me/). The country is not among
# them: it sets the market's cooling-off and buy-back terms, so staff change it.
SELF_SERVICE_FIELDS = frozenset({"first_name", "last_name", "email", "phone"})


def _clean_profile(**fields: str) -> dict[str, str]:
    """The contact fields of a distributor, cleaned, in the order a form shows them."""
    return {name: _CLEANERS[name](value) for name, value in fields.items()}


def email_changes(distributor: Distributor, email: str | None) -> bool:
    """Whether `email` (as a request gives it) is another address than the distributor's."""
    return email is not None and email.strip().lower() != (distributor.email or "").strip().lower()


def reauthentication_message() -> str:
    return _("Enter your current password to change your e-mail address.")


@transaction.atomic
def distributor_update_profile(
    *, distributor: Distributor, actor: Any, password_checked: bool = False, **changes: Any
) -> Distributor:
    """Change a distributor's contact data (names, email, phone, country) or login link.

    Staff change everything here; a distributor changes their own SELF_SERVICE_FIELDS, and their
    e-mail address (their login and reset address) only when the edge re-checked their current
    password (`password_checked`). The same checks as enrollment; an address held by someone
    else is refused without saying by whom (distributors.addresses). A login whose username is
    the old address follows the new one, loses every refresh token, and the old address is told.
    The audit entry names the fields changed, not their values (so that erasure leaves no old
    personal data behind in the trail).
    """
    is_self = (
        actor is not None
        and getattr(actor, "pk", None) is not None
        and distributor.user_id is not None
        and actor.pk == distributor.user_id
    )
    if not is_self:
        _require_staff(actor)
    staff = actor_is_staff(actor)
    allowed = {*_CLEANERS, "external_id", "user"} if staff else SELF_SERVICE_FIELDS
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    cleaned = _clean_profile(**{k: v for k, v in changes.items() if k in _CLEANERS})
    if not staff and not password_checked and email_changes(distributor, cleaned.get("email")):
        raise ApplicationError(reauthentication_message(), field="current_password")
    if "external_id" in changes:
        cleaned["external_id"] = _clean_text(
            changes["external_id"], "external_id", _("External id"), max_length=64
        )
    if "external_id" in cleaned:
        # Staff only: the same lock as enrollment, so the external id check cannot race one.
        advisory_xact_lock(SPONSOR_TREE_LOCK)
    if "email" in cleaned:
        # Before the check: an enrollment, a customer's registration or another edit claiming the
        # same address waits for this one, and this one for them (core.locks.email_claim_lock).
        email_claim_lock(cleaned["email"])
    node = Distributor.objects.select_for_update(no_key=True).filter(pk=distributor.pk).first()
    if node is None:
        raise NotFound(_("The distributor does not exist."), field="distributor")
    if "email" in cleaned and email_in_use(cleaned["email"], exclude_pk=node.pk):
        if staff:
            raise Conflict(_("Another distributor has this email address."), field="email")
        raise address_unavailable(
            reason=REASON_DISTRIBUTOR, email=cleaned["email"], actor=actor, operation="profile"
        )
    if "external_id" in cleaned and (
        Distributor.objects.filter(external_id=cleaned["external_id"]).exclude(pk=node.pk).exists()
    ):
        raise Conflict(_("A distributor with this external id already exists."), field="external_id")
    if "user" in changes:
        user = changes["user"]
        if user is not None and Distributor.objects.filter(user=user).exclude(pk=node.pk).exists():
            raise Conflict(_("That user is already linked to a distributor."), field="user")
        cleaned["user"] = user
    changed = [name for name, value in cleaned.items() if getattr(node, name) != value]
    if not changed:
        return node
    if "email" in changed and "user" not in changed:
        _login_follow_email(node, old_email=node.email, new_email=cleaned["email"], actor=actor)
        _email_changed_notify(node, old_email=node.email)
    for name in changed:
        setattr(node, name, cleaned[name])
    node.save(update_fields=[*changed, "updated_at"])
    audit_record(actor=actor, action="distributor.update_profile", target=node, data={"fields": changed})
    return node


def _login_follow_email(node: Distributor, *, old_email: str, new_email: str, actor: Any) -> None:
    """The distributor's login (username = e-mail) moves to the new address with them."""
    if node.user_id is None:
        return
    User = get_user_model()
    user = User.objects.select_for_update(no_key=True).get(pk=node.user_id)
    fields = []
    if user.get_username().lower() == old_email.lower():
        if User.objects.filter(username__iexact=new_email).exclude(pk=user.pk).exists():
            raise address_unavailable(reason=REASON_LOGIN, email=new_email, actor=actor, operation="profile")
        setattr(user, User.USERNAME_FIELD, new_email)
        fields.append(User.USERNAME_FIELD)
    if (user.email or "").lower() != new_email:
        user.email = new_email
        fields.append("email")
    if fields:
        user.save(update_fields=fields)
    if User.USERNAME_FIELD in fields:
        # A new login name: no app keeps a session opened under the old one.
        user_tokens_revoke(user=user)


def _email_changed_notify(node: Distributor, *, old_email: str) -> None:
    """After commit, in the background: tell the old address of the login that it changed."""
    if node.user_id is None or not old_email:
        return
    from .tasks import send_email_changed_notice

    user_id = node.user_id
    language = invitation_language(country=node.country, requested=translation.get_language())
    # robust: a mail server down never fails the change.
    transaction.on_commit(lambda: send_email_changed_notice.delay(user_id, old_email, language), robust=True)


@transaction.atomic
def distributor_enroll(
    *,
    sponsor: Distributor | None = None,
    sponsor_id: int | None = None,
    referral_code: str | None = None,
    first_name: str,
    last_name: str,
    email: str,
    phone: str = "",
    country: str = "NL",
    enrolled_at: datetime | None = None,
    external_id: str | None = None,
    user: Any = None,
    password: str | None = None,
    invite: bool = False,
    language: str | None = None,
    actor: Any = None,
) -> Distributor:
    """Enroll a distributor as the last of their sponsor's frontline.

    Without any sponsor reference the distributor starts a new tree (the company's root).
    `invite` creates the recruit's login (username = the email) without a password and, once the
    enrollment is committed, e-mails them a single-use link to choose their own
    (distributors.invitations); the API and the admin enrol this way, so nobody else ever knows a
    recruit's password. `user` links an existing login. `password` sets one directly: only for
    the company's own set-up code (tests, seeding), never for an edge acting for someone else.
    An address held by a distributor or a login is refused without saying which to non-staff.
    """
    profile = _clean_profile(
        first_name=first_name, last_name=last_name, email=email, phone=phone, country=country
    )
    first_name, last_name, email = profile["first_name"], profile["last_name"], profile["email"]
    phone, country = profile["phone"], profile["country"]
    if external_id is not None:
        external_id = _clean_text(external_id, "external_id", _("External id"), max_length=64)
    if user is not None and password is not None:
        raise ApplicationError(_("Give either an existing user or a password, not both."), field="password")
    if invite and (user is not None or password is not None):
        raise ApplicationError(_("An invited distributor chooses their own password."), field="password")
    if enrolled_at is not None and timezone.is_naive(enrolled_at):
        raise ApplicationError(_("Enrollment time must carry a time zone."), field="enrolled_at")

    advisory_xact_lock(SPONSOR_TREE_LOCK)
    # Claims of one address queue here (before any row lock, like every advisory lock), so the
    # check below cannot race an enrollment, a change of address or a customer's registration.
    email_claim_lock(email)
    sponsor_row = _resolve_sponsor(sponsor=sponsor, sponsor_id=sponsor_id, referral_code=referral_code)
    if sponsor_row is not None and sponsor_row.status == DistributorStatus.TERMINATED:
        raise ApplicationError(
            _("%(name)s is terminated and cannot sponsor new distributors.") % {"name": sponsor_row.name},
            field="referral_code" if referral_code else ("sponsor" if sponsor else "sponsor_id"),
        )
    if email_in_use(email):
        raise address_unavailable(reason=REASON_DISTRIBUTOR, email=email, actor=actor, operation="enrollment")
    if external_id is not None and Distributor.objects.filter(external_id=external_id).exists():
        raise Conflict(_("A distributor with this external id already exists."), field="external_id")

    User = get_user_model()
    if user is not None:
        if Distributor.objects.filter(user=user).exists():
            raise Conflict(_("That user is already linked to a distributor."), field="user")
    elif password is not None or invite:
        if User.objects.filter(username__iexact=email).exists():
            raise address_unavailable(reason=REASON_LOGIN, email=email, actor=actor, operation="enrollment")
        if password is not None:
            try:
                validate_password(password)
            except ValidationError as exc:
                raise ApplicationError(" ".join(exc.messages), field="password") from None
        # No password (None) is an unusable one: only the invitation's link can set it.
        user = User.objects.create_user(
            username=email, email=email, password=password, first_name=first_name, last_name=last_name
        )

    for attempt in range(_CREATE_ATTEMPTS):
        # A fresh instance per attempt: save() places a new node (free labels, sizes above it).
        node = Distributor(
            sponsor=sponsor_row,
            user=user,
            external_id=external_id or _external_id_generate(),
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            country=country,
            enrolled_at=enrolled_at or timezone.now(),
            referral_code=referral_code_generate(),
        )
        try:
            # The savepoint also undoes a relabelled window and the sizes of a failed insert.
            with transaction.atomic():
                node.save()
            break
        except IntegrityError:
            # A generated code collided with an existing one (the unique constraint said so).
            if external_id is not None and Distributor.objects.filter(external_id=external_id).exists():
                raise Conflict(
                    _("A distributor with this external id already exists."), field="external_id"
                ) from None
            if attempt == _CREATE_ATTEMPTS - 1:
                raise
    if actor is not None:
        audit_record(
            actor=actor,
            action="distributor.enroll",
            target=node,
            data={"sponsor": sponsor_row.pk if sponsor_row else None},
        )
    if invite:
        invitation_schedule(distributor=node, actor=actor, language=language)
    return node


def _lock_rows(ids: list[int]) -> dict[int, Distributor]:
    rows = Distributor.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
    return {row.pk: row for row in rows}


@transaction.atomic
def distributor_move(
    *, distributor: Distributor, new_sponsor: Distributor | None, actor: Any, reason: str
) -> Distributor:
    """Move a distributor and their whole downline under another sponsor (staff only)."""
    _require_staff(actor)
    reason = _require_reason(reason)
    if new_sponsor is None:
        raise ApplicationError(_("Choose the new sponsor."), field="new_sponsor")
    if new_sponsor.pk == distributor.pk:
        raise ApplicationError(_("A distributor cannot be their own sponsor."), field="new_sponsor")

    advisory_xact_lock(SPONSOR_TREE_LOCK)
    rows = _lock_rows(sorted([distributor.pk, new_sponsor.pk]))
    if distributor.pk not in rows:
        raise NotFound(_("The distributor to move does not exist."), field="distributor")
    if new_sponsor.pk not in rows:
        raise NotFound(_("The new sponsor does not exist."), field="new_sponsor")
    # Fresh rows read under the lock: the caller's instances may carry stale nested-set numbers.
    node, target = rows[distributor.pk], rows[new_sponsor.pk]
    if node.status == DistributorStatus.TERMINATED:
        raise ApplicationError(
            _("%(name)s is terminated and cannot be moved.") % {"name": node.name}, field="distributor"
        )
    if target.status == DistributorStatus.TERMINATED:
        raise ApplicationError(
            _("%(name)s is terminated and cannot sponsor anyone.") % {"name": target.name},
            field="new_sponsor",
        )
    if node.sponsor_id == target.pk:
        raise ApplicationError(
            _("%(name)s is already sponsored by %(sponsor)s.") % {"name": node.name, "sponsor": target.name},
            field="new_sponsor",
        )
    if target.tree_id == node.tree_id and node.lft < target.lft < node.rght:
        raise ApplicationError(
            _("%(sponsor)s is in %(name)s's own downline; a distributor cannot move under it.")
            % {"sponsor": target.name, "name": node.name},
            field="new_sponsor",
        )

    old_sponsor_id = node.sponsor_id
    # Not mptt's move_to, which rewrites the numbers of much of the tree: the subtree's labels go
    # into a free gap at the end of the new sponsor's frontline (ADR 0011).
    move_subtree(node.pk, target.pk)
    Distributor.objects.filter(pk=node.pk).update(sponsor_id=target.pk, updated_at=timezone.now())
    node.refresh_from_db()
    SponsorChange.objects.create(
        distributor=node,
        kind=SponsorChange.Kind.MOVE,
        old_sponsor_id=old_sponsor_id,
        new_sponsor=target,
        changed_by=actor if getattr(actor, "pk", None) else None,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action="distributor.move",
        target=node,
        reason=reason,
        data={"old_sponsor": old_sponsor_id, "new_sponsor": target.pk},
    )
    return node


@transaction.atomic
def distributor_terminate(
    *, distributor: Distributor, actor: Any, reason: str, at: datetime | None = None
) -> Distributor:
    """Terminate a distributor: their frontline rolls up to their sponsor; history stays.

    The terminated distributor stays in the tree as a leaf under their sponsor. A root with a
    frontline is refused: the company decides where that downline goes, by moving it first.
    """
    _require_staff(actor)
    reason = _require_reason(reason)
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise ApplicationError(_("Termination time must carry a time zone."), field="at")

    advisory_xact_lock(SPONSOR_TREE_LOCK)
    # Under the tree lock the sponsor link cannot change, so it is safe to read before row locks.
    current = Distributor.objects.filter(pk=distributor.pk).values_list("sponsor_id", flat=True).first()
    if current is None and not Distributor.objects.filter(pk=distributor.pk).exists():
        raise NotFound(_("The distributor does not exist."), field="distributor")
    locked = (
        Distributor.objects.select_for_update(no_key=True)
        .filter(Q(pk__in=[distributor.pk, current]) | Q(sponsor_id=distributor.pk))
        .order_by("pk")
    )
    rows = {row.pk: row for row in locked}
    node = rows[distributor.pk]
    frontline = sorted((r for r in rows.values() if r.sponsor_id == node.pk), key=lambda r: r.pk)
    if node.status == DistributorStatus.TERMINATED:
        raise Conflict(_("%(name)s is already terminated.") % {"name": node.name}, field="distributor")
    if node.sponsor_id is None and frontline:
        raise ApplicationError(
            ngettext(
                "%(name)s is a root with %(count)d distributor(s) in their frontline; move them under "
                "another sponsor before terminating.",
                "%(name)s is a root with %(count)d distributor(s) in their frontline; move them under "
                "another sponsor before terminating.",
                len(frontline),
            )
            % {"name": node.name, "count": len(frontline)},
            field="distributor",
        )

    now = timezone.now()
    if frontline:
        # The downline keeps its labels and rises one level; the terminated node becomes a leaf
        # after it, at the end of its own interval (ADR 0011): no numbers shift.
        become_leaf(node.pk)
        Distributor.objects.filter(sponsor_id=node.pk).update(sponsor_id=node.sponsor_id, updated_at=now)
        SponsorChange.objects.bulk_create(
            SponsorChange(
                distributor=child,
                kind=SponsorChange.Kind.TERMINATION_ROLLUP,
                old_sponsor=node,
                new_sponsor_id=node.sponsor_id,
                changed_by=actor if getattr(actor, "pk", None) else None,
                reason=reason,
            )
            for child in frontline
        )
    node.status = DistributorStatus.TERMINATED
    node.terminated_at = at
    Distributor.objects.filter(pk=node.pk).update(status=node.status, terminated_at=at, updated_at=now)
    audit_record(
        actor=actor,
        action="distributor.terminate",
        target=node,
        reason=reason,
        data={"rolled_up": [c.pk for c in frontline], "to_sponsor": node.sponsor_id},
    )
    node.refresh_from_db()
    return node


@transaction.atomic
def distributor_set_status(*, distributor: Distributor, status: str, actor: Any, reason: str) -> Distributor:
    """Put a distributor on hold or make them active again (termination has its own service)."""
    _require_staff(actor)
    reason = _require_reason(reason)
    if status not in (DistributorStatus.ACTIVE, DistributorStatus.HOLD):
        raise ApplicationError(
            _("Status can be set to active or hold; terminate through the termination."), field="status"
        )
    node = Distributor.objects.select_for_update(no_key=True).filter(pk=distributor.pk).first()
    if node is None:
        raise NotFound(_("The distributor does not exist."), field="distributor")
    if node.status == DistributorStatus.TERMINATED:
        raise Conflict(
            _("%(name)s is terminated; a termination is final.") % {"name": node.name}, field="status"
        )
    if node.status == status:
        return node
    old = node.status
    node.status = status
    node.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="distributor.set_status",
        target=node,
        reason=reason,
        data={"old": old, "new": status},
    )
    return node


@transaction.atomic
def tree_renumber(*, actor: Any = None) -> int:
    """Renumber every tree from the sponsor links under the tree lock; returns rows changed."""
    advisory_xact_lock(SPONSOR_TREE_LOCK)
    return renumber_trees()
