"""A distributor agreement version for tests: drafted with the two required clauses, published."""

from __future__ import annotations

from typing import Any

from distributors.agreements import AgreementClause, AgreementVersion, ClauseKind
from distributors.services.agreements import agreement_version_publish


def draft_version(number: int = 1, *, clauses: tuple[str, ...] | None = None) -> AgreementVersion:
    version = AgreementVersion.objects.create(
        number=number,
        label=f"v{number}",
        title_en=f"Agreement {number}",
        title_nl=f"Overeenkomst {number}",
        body_en="The terms.",
        body_nl="De voorwaarden.",
    )
    kinds = clauses if clauses is not None else (ClauseKind.INDEPENDENT_CONTRACTOR, ClauseKind.SELF_BILLING)
    for position, kind in enumerate(kinds, start=1):
        AgreementClause.objects.create(
            version=version, position=position, kind=kind,
            title_en=f"Clause {position}", title_nl=f"Bepaling {position}",
            text_en=f"Text {position}.", text_nl=f"Tekst {position}.",
        )  # fmt: skip
    return version


def published_version(staff: Any, number: int = 1) -> AgreementVersion:
    return agreement_version_publish(version=draft_version(number), actor=staff)
