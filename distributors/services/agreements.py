"""The distributor agreement: publish a version (everyone is asked again), and accept it.

A version is a draft until published; publishing fixes its text for good (the admin shows it
read-only, this module refuses to change it) and makes it the current version. An acceptance is
evidence kept forever: one row per distributor and version, never changed; accepting twice
returns the first row.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.accounts.services import actor_is_staff
from core.errors import ApplicationError, Conflict, PermissionDenied
from core.locks import advisory_xact_lock
from core.services import audit_record

from ..agreements import (
    LANGUAGES,
    REQUIRED_CLAUSES,
    AcceptanceChannel,
    AgreementAcceptance,
    AgreementVersion,
    ClauseKind,
)
from ..models import Distributor, DistributorStatus

# Publishing queues behind this lock, so two publications never both become "current".
AGREEMENT_PUBLISH_LOCK = "agreement-publish"
USER_AGENT_MAX_LENGTH = 400


@transaction.atomic
def agreement_version_publish(*, version: AgreementVersion, actor: Any) -> AgreementVersion:
    """Publish a draft: from now on it is the current version and every distributor is asked to
    accept it (until they do, their payouts are held). Staff only; a version is published once."""
    if not actor_is_staff(actor):
        raise PermissionDenied(_("Only staff may publish the distributor agreement."))
    advisory_xact_lock(AGREEMENT_PUBLISH_LOCK)
    version = AgreementVersion.objects.select_for_update().get(pk=version.pk)
    if version.published_at is not None:
        raise Conflict(_("Version %(number)s is already published.") % {"number": version.number})
    newest = AgreementVersion.objects.filter(published_at__isnull=False).order_by("-number").first()
    if newest is not None and newest.number >= version.number:
        raise Conflict(
            _("Version %(number)s cannot follow the published version %(newest)s: give it a higher number.")
            % {"number": version.number, "newest": newest.number},
            field="number",
        )
    kinds = set(version.clauses.values_list("kind", flat=True))
    missing = [ClauseKind(kind).label for kind in REQUIRED_CLAUSES if kind not in kinds]
    if missing:
        raise ApplicationError(
            _("A version needs these clauses before it is published: %(missing)s.")
            % {"missing": ", ".join(str(label) for label in missing)},
            field="clauses",
        )
    for language in LANGUAGES:
        if not version.title_in(language).strip():
            raise ApplicationError(_("Give the version a title in English and in Dutch."), field="title")
    version.published_at = timezone.now()
    version.published_by = actor
    version.save(update_fields=["published_at", "published_by"])
    audit_record(
        actor=actor, action="distributors.agreement_publish", target=version,
        data={"number": version.number, "text_hash": {lang: version.text_hash(lang) for lang in LANGUAGES}},
    )  # fmt: skip
    return version


@transaction.atomic
def agreement_version_save_draft(*, version: AgreementVersion) -> AgreementVersion:
    """Save a draft's text (the admin's form); a published version is never changed."""
    if version.pk is not None:
        stored = AgreementVersion.objects.select_for_update().filter(pk=version.pk).first()
        if stored is not None and stored.published_at is not None:
            raise Conflict(
                _("Version %(number)s is published: its text can no longer change; draft a new version.")
                % {"number": stored.number}
            )
    version.published_at, version.published_by = None, None
    version.save()
    return version


def agreement_version_check_draft(version: AgreementVersion) -> None:
    """Refuse a change to a published version's clauses (the admin's inline)."""
    if (
        version.pk is not None
        and AgreementVersion.objects.filter(pk=version.pk, published_at__isnull=False).exists()
    ):
        raise Conflict(
            _("Version %(number)s is published: its text can no longer change; draft a new version.")
            % {"number": version.number}
        )


@transaction.atomic
def agreement_accept(
    *,
    distributor: Distributor,
    version: AgreementVersion,
    actor: Any,
    language: str,
    channel: str = AcceptanceChannel.PORTAL,
    ip_address: str | None = None,
    user_agent: str = "",
    note: str = "",
) -> AgreementAcceptance:
    """The distributor accepts the current version (idempotent: a second call, or a concurrent
    one, returns the first acceptance unchanged).

    The distributor's own user clicks in the portal or the API; staff record a paper signature
    (channel PAPER, audited). Only the current version can be accepted: a superseded or draft
    version is refused, naming the field `version`. A terminated distributor accepts nothing
    themselves; staff may still record their signed paper copy of a version published before the
    termination (what their last payouts wait for: distributors.agreement_selectors).
    """
    is_self = getattr(actor, "pk", None) is not None and actor.pk == distributor.user_id
    if channel == AcceptanceChannel.PAPER:
        if not actor_is_staff(actor):
            raise PermissionDenied(_("Only staff may record a signed paper agreement."))
    elif not is_self:
        raise PermissionDenied(_("Only the distributor can accept the agreement themselves."))
    terminated = distributor.status == DistributorStatus.TERMINATED
    if terminated and channel != AcceptanceChannel.PAPER:
        raise Conflict(_("A terminated distributor cannot accept the agreement."))
    existing = AgreementAcceptance.objects.filter(distributor=distributor, version=version).first()
    if existing is not None:
        return existing
    if terminated:  # staff record the paper copy of a version that applied while they earned
        agreement_version_check_terminated(distributor=distributor, version=version)
    else:
        current = AgreementVersion.objects.filter(published_at__isnull=False).order_by("-number").first()
        if current is None or current.pk != version.pk:
            raise ApplicationError(
                _("This version of the agreement is not the current one: accept the current version."),
                field="version",
            )
    if language not in LANGUAGES:
        language = "en"
    acceptance = AgreementAcceptance(
        distributor=distributor,
        version=version,
        accepted_at=timezone.now(),
        accepted_by=actor if getattr(actor, "pk", None) else None,
        channel=channel,
        language=language,
        text_hash=version.text_hash(language),
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:USER_AGENT_MAX_LENGTH],
        note=note[:255],
    )
    try:
        with transaction.atomic():  # a concurrent accept may win the unique row: keep theirs
            acceptance.save()
    except IntegrityError:
        return AgreementAcceptance.objects.get(distributor=distributor, version=version)
    audit_record(
        actor=actor, action="distributors.agreement_accept", target=distributor,
        data={"version": version.number, "channel": channel, "language": language},
    )  # fmt: skip
    return acceptance


def agreement_version_check_terminated(*, distributor: Distributor, version: AgreementVersion) -> None:
    """Refuse, on `version`, a version that was not yet published when the distributor was
    terminated (a draft, or one they never worked under)."""
    published_at = (
        AgreementVersion.objects.filter(pk=version.pk).values_list("published_at", flat=True).first()
    )
    until = distributor.terminated_at or timezone.now()
    if published_at is None or published_at > until:
        raise ApplicationError(
            _(
                "For a terminated distributor, record a version published before their termination: "
                "this one was not in force while they worked."
            ),
            field="version",
        )
