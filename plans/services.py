"""Plans as versioned data: load a validated plan document as a new version, never edit one."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import Conflict
from core.locks import advisory_xact_lock
from core.services import audit_record
from plans.document import DEFAULT_PLAN_PATH, load_plan_file, parse_plan_document
from plans.models import Plan

# Named when plans were part of commissions; kept, so that every process takes the same lock.
PLAN_LOCK = "commissions.plan_load"


@transaction.atomic
def plan_load(*, document: dict, actor: Any = None) -> Plan:
    """Store a plan document as a new version (PlanDocumentError lists every problem).

    Loading the same document again returns the stored version; a different document under a
    version that exists is refused: a period closed with a version must be reproducible.
    """
    plan = parse_plan_document(document)
    advisory_xact_lock(PLAN_LOCK)
    existing = Plan.objects.filter(version=plan.version).first()
    if existing is not None:
        if existing.document == document:
            return existing
        raise Conflict(
            _(
                "Plan version %(version)s is already loaded with a different document; "
                "give the changed plan a new version."
            )
            % {"version": plan.version},
            field="version",
        )
    try:
        with transaction.atomic():
            stored = Plan.objects.create(
                name=plan.name,
                version=plan.version,
                plan_type=plan.type,
                document=document,
                loaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError as exc:  # a concurrent load without the lock (e.g. another database role)
        raise Conflict(
            _("Plan version %(version)s was loaded at the same moment; try again.")
            % {"version": plan.version}
        ) from exc
    audit_record(
        actor=actor,
        action="plan.load",
        target=stored,
        data={"name": plan.name, "version": plan.version, "type": plan.type},
    )
    return stored


@transaction.atomic
def plan_ensure_default() -> Plan:
    """The shipped default plan's version, loaded first when no plan exists yet (migrate, seed).

    Once any plan exists nothing is loaded: the shipped version if stored, else the newest plan.
    """
    advisory_xact_lock(PLAN_LOCK)
    document = load_plan_file(DEFAULT_PLAN_PATH)
    shipped = Plan.objects.filter(version=document.get("version")).first()
    if shipped is not None:
        return shipped
    newest = plan_newest()
    if newest is not None:
        return newest
    return plan_load(document=document)


def plan_newest() -> Plan | None:
    return Plan.objects.order_by("-loaded_at", "-id").first()
