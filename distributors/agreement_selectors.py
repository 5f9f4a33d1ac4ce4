"""Reads of the distributor agreement: the current version, who accepted it, who has not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from core.batches import chunked
from core.personal_data import PersonalDataPart, rows

from .agreements import AgreementAcceptance, AgreementVersion
from .models import Distributor, DistributorStatus


def agreement_current(at: dt.datetime | None = None) -> AgreementVersion | None:
    """The version in force at `at` (now by default): the highest-numbered published by then.
    None while no version has been published (then nobody has anything to accept)."""
    at = at or timezone.now()
    return (
        AgreementVersion.objects.filter(published_at__isnull=False, published_at__lte=at)
        .order_by("-number")
        .first()
    )


def agreement_accepted(distributor: Distributor, at: dt.datetime | None = None) -> bool:
    """Whether the distributor had accepted, by `at`, the version in force then (True when no
    version is in force)."""
    at = at or timezone.now()
    current = agreement_current(at)
    if current is None:
        return True
    return AgreementAcceptance.objects.filter(
        distributor=distributor, version=current, accepted_at__lte=at
    ).exists()


def agreement_acceptance_of(
    distributor: Distributor, version: AgreementVersion
) -> AgreementAcceptance | None:
    return AgreementAcceptance.objects.filter(distributor=distributor, version=version).first()


def agreement_acceptances_of(distributor: Distributor) -> QuerySet[AgreementAcceptance]:
    """The distributor's acceptances, newest first, with their versions."""
    return (
        AgreementAcceptance.objects.filter(distributor=distributor)
        .select_related("version", "accepted_by")
        .order_by("-accepted_at", "-id")
    )


def agreement_not_accepted_ids(
    distributor_ids: Iterable[int],
    at: dt.datetime | None = None,
    *,
    earned_in: tuple[dt.datetime, dt.datetime] | None = None,
) -> set[int]:
    """Those of these distributors whose payouts wait for an acceptance (one query per 5,000, then
    two per 5,000 of those who have not accepted the current version; empty when none is in force).

    A distributor is held only for the versions that applied while they were earning. Someone
    active must have accepted the version in force at `at` (now by default). Someone terminated
    earns no more: they must have accepted a version in force at some moment while they earned
    what is paid (`earned_in`, the period's [start, end), up to their termination; without it, at
    their termination), or a later one. A version published after that never holds them, and
    nothing does when no version was in force then.
    """
    at = at or timezone.now()
    current = agreement_current(at)
    ids = list(distributor_ids)
    if current is None or not ids:
        return set()
    accepted: set[int] = set()
    for part in chunked(ids, 5_000):
        accepted.update(
            AgreementAcceptance.objects.filter(version=current, distributor_id__in=part).values_list(
                "distributor_id", flat=True
            )
        )
    not_accepted = set(ids) - accepted
    if not not_accepted:
        return not_accepted
    published = [
        (number, published_at)
        for number, published_at in AgreementVersion.objects.filter(published_at__lte=at)
        .order_by("number")
        .values_list("number", "published_at")
        if published_at is not None
    ]
    for part in chunked(sorted(not_accepted), 5_000):
        stopped = dict(
            Distributor.objects.filter(pk__in=part, status=DistributorStatus.TERMINATED).values_list(
                "pk", "terminated_at"
            )
        )
        if not stopped:
            continue
        numbers: dict[int, list[int]] = {}
        for distributor_id, number in AgreementAcceptance.objects.filter(
            distributor_id__in=list(stopped)
        ).values_list("distributor_id", "version__number"):
            numbers.setdefault(distributor_id, []).append(number)
        for distributor_id, terminated_at in stopped.items():
            oldest = _oldest_applying(published, terminated_at or at, earned_in)
            if oldest is None or any(number >= oldest for number in numbers.get(distributor_id, ())):
                not_accepted.discard(distributor_id)
    return not_accepted


def _oldest_applying(
    published: list[tuple[int, dt.datetime]],
    stopped_at: dt.datetime,
    earned_in: tuple[dt.datetime, dt.datetime] | None,
) -> int | None:
    """The number of the oldest version in force at some moment of [from, until]: until is the
    termination (or the period's end, if earlier), from the period's start (or until); None when
    no version was in force then. `published` is by number, which is also by publication."""
    until = min(stopped_at, earned_in[1]) if earned_in else stopped_at
    since = min(earned_in[0], until) if earned_in else until
    in_force_since = [number for number, published_at in published if published_at <= since]
    if in_force_since:
        return in_force_since[-1]
    later = [number for number, published_at in published if published_at <= until]
    return later[0] if later else None


def agreement_pending_distributors(version: AgreementVersion) -> QuerySet[Distributor]:
    """Distributors (not terminated) who have not accepted this version, by external id."""
    return (
        Distributor.objects.exclude(status=DistributorStatus.TERMINATED)
        .annotate(
            accepted=Exists(AgreementAcceptance.objects.filter(version=version, distributor=OuterRef("pk")))
        )
        .filter(accepted=False)
        .order_by("external_id")
    )


def agreement_pending_for(distributor: Distributor) -> AgreementVersion | None:
    """The current version if the distributor has not accepted it yet, else None (one query)."""
    current = (
        AgreementVersion.objects.filter(published_at__isnull=False, published_at__lte=timezone.now())
        .order_by("-number")
        .annotate(
            accepted=Exists(
                AgreementAcceptance.objects.filter(version=OuterRef("pk"), distributor=distributor)
            )
        )
        .first()
    )
    return current if current is not None and not current.accepted else None


def agreement_personal_data_part(distributor: Distributor) -> PersonalDataPart:
    """The distributor's part of their GDPR export: every acceptance, with its evidence (one query)."""
    return PersonalDataPart(
        sections={
            "agreement_acceptances": rows(
                AgreementAcceptance.objects.filter(distributor=distributor).order_by("accepted_at", "id"),
                "accepted_at",
                "channel",
                "language",
                "text_hash",
                "ip_address",
                "user_agent",
                "note",
                version="version__number",
                version_label="version__label",
                version_published_at="version__published_at",
            )
        }
    )
