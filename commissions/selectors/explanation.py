"""Explain a distributor's results in one run of the close: "why do I have this rank, where does
each line of money come from?" (rules/compliance §7: keep evidence).

Read-side only (selectors), from what the run wrote: the distributor's results row, the frontline's
rows (`sponsor_id_in_period`: the tree as it was in the period) with the highest rank in each leg
the close stored (a recursive CTE for runs before it did), and the ledger lines. A handful of
queries, never one per leg or per line. A frontline longer than LEGS_READ is read in full only
when asked (`all_legs`: the admin, `manage.py explain`); otherwise the rank checks use the sums the
close stored over every leg (`DistributorPeriod.leg_summary`) and the legs are the LEGS_READ with
the most GV (the API, the portal: `rank_progress`).

The parts are beside it: the legs (legs.py), the rank checks (rank_checks.py), the money lines
(money_lines.py); rank_progress.py is the reader without money.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from commissions.engine.rules import status_in_period
from commissions.models import CloseRun, DistributorPeriod, LedgerKind, LedgerLine, Statement
from commissions.selectors.legs import PeriodLeg, _legs, _volume_text
from commissions.selectors.money_lines import MoneyGroup, _rate_text, money_line
from commissions.selectors.rank_checks import (
    RankCheck,
    Requirement,
    paid_as_from_checks,
    plan_rank_names,
    rank_checks,
)
from core.errors import NotFound
from core.money import ZERO
from core.periods import period_bounds, period_label
from core.templatetags import formatting  # numbers and ranks as the reader's language writes them
from plans.document import PlanDocument, parse_plan_document


@dataclass(frozen=True, slots=True)
class DifferentialLeg:
    leg: PeriodLeg
    rate: Decimal  # the bracket rate of the leg's group
    broke_away: bool  # the leg reached the top bracket and left the group (breakaway on)

    @property
    def rate_text(self) -> str:
        return _rate_text(self.rate)


@dataclass(frozen=True, slots=True)
class Differential:
    """compensation-plan §10: the distributor's group volume, bracket rate and the frontline legs'
    differentials."""

    group_qv: Decimal
    group_cv: Decimal
    rate: Decimal
    brackets: tuple[tuple[Decimal, Decimal], ...]  # (min group QV, rate), ascending
    breakaway: bool
    legs: tuple[DifferentialLeg, ...]

    @property
    def rate_text(self) -> str:
        return _rate_text(self.rate)

    @property
    def group_text(self) -> str:
        return _("Group QV %(qv)s, group CV %(cv)s") % {
            "qv": _volume_text(self.group_qv),
            "cv": _volume_text(self.group_cv),
        }

    @property
    def schedule_text(self) -> str:
        return ", ".join(f"{formatting.points(m)} QV → {_rate_text(r)}" for m, r in self.brackets)


@dataclass(frozen=True, slots=True)
class Explanation:
    distributor_id: int
    external_id: str
    name: str
    run_id: int
    run_kind: str
    period: str  # YYYY-MM
    plan_version: str
    plan_type: str
    # Volumes (compensation-plan §2)
    pcv: Decimal
    ppc: Decimal
    consumption_cap: Decimal | None
    ppc_left_out: Decimal  # own purchases above the cap: no rank, no override, no activity
    pv: Decimal
    gv: Decimal
    customer_cv: Decimal
    own_cv: Decimal
    own_cv_share: Decimal
    rewardable_cv: Decimal
    customer_paid: Decimal
    # Activity, customer requirement, eligibility (compensation-plan §3)
    activity: Requirement
    customer_requirement: tuple[Requirement, ...]  # either alternative meets it
    customer_requirement_met: bool
    eligibility: tuple[Requirement, ...]  # active, status, customer requirement
    override_eligible: bool
    # Ranks (compensation-plan §4)
    active_frontline: int
    legs: tuple[PeriodLeg, ...]
    ranks: tuple[RankCheck, ...]
    paid_as_rank: int
    paid_as_name: str
    title: int
    next_rank: RankCheck | None
    # Money
    money: tuple[MoneyGroup, ...]
    carried_in: Decimal
    net: Decimal
    payout: Decimal
    carried_out: Decimal
    differential: Differential | None = None
    notes: tuple[str, ...] = field(default=())
    rank_names: dict[int, str] = field(default_factory=dict)  # of the run's plan, for every reader
    # Every frontline leg in the period; `legs` holds them all, or the LEGS_READ with the most GV.
    leg_count: int = 0

    def rank_text(self, number: int) -> str:
        """A rank or title of this run with its name: `3 · Team Leader`."""
        return formatting.rank(number, self.rank_names)

    @property
    def total_earned(self) -> Decimal:
        return sum((group.total for group in self.money), ZERO)

    @property
    def volume_rows(self) -> list[tuple[str, str]]:
        """(label, value) of each volume (compensation-plan §2), as every page and the command show them."""
        ppc = _volume_text(self.ppc)
        if self.consumption_cap is not None:
            ppc += " " + _("(counted up to %(cap)s; left out: %(left_out)s)") % {
                "cap": _volume_text(self.consumption_cap),
                "left_out": _volume_text(self.ppc_left_out),
            }
        return [
            (_("PCV (customer orders)"), _volume_text(self.pcv)),
            (_("PPC (own orders)"), ppc),
            (_("PV"), _volume_text(self.pv)),
            (_("GV"), _volume_text(self.gv)),
            (
                _("Rewardable CV"),
                _("%(rewardable)s = customer CV %(customer)s + own CV %(own)s × share %(share)s")
                % {
                    "rewardable": _volume_text(self.rewardable_cv),
                    "customer": _volume_text(self.customer_cv),
                    "own": _volume_text(self.own_cv),
                    "share": _volume_text(self.own_cv_share),
                },
            ),
        ]


def _status_requirement(result: DistributorPeriod, distributor, period_end: dt.datetime) -> Requirement:
    """The run keeps eligibility, not the status; infer it where the run decides it, else read it."""
    words = {"active": _("active"), "hold": _("hold"), "terminated": _("terminated")}
    if result.override_eligible:
        return Requirement(_("Status"), words["active"], words["active"], True)
    if result.active and result.customer_requirement_met:
        return Requirement(
            _("Status"),
            words["active"],
            words.get(distributor.status, distributor.status),
            False,
            _("on hold or terminated in the period"),
        )
    terminated_later = distributor.terminated_at is not None and distributor.terminated_at >= period_end
    status = status_in_period(distributor.status, terminated_later)
    return Requirement(
        _("Status"), words["active"], words.get(status, status), status == "active", _("status today")
    )


def _money(run: CloseRun, distributor_id: int) -> list[MoneyGroup]:
    lines = list(
        LedgerLine.objects.filter(run=run, distributor_id=distributor_id)
        .select_related("source", "adjustment")
        .order_by("kind", "level", "source__external_id", "original_period", "key")
    )
    order = [LedgerKind.PERSONAL, LedgerKind.OVERRIDE, LedgerKind.CLAWBACK, LedgerKind.ADJUSTMENT]
    groups = []
    for kind in order:
        of_kind = [line for line in lines if line.kind == kind]
        if not of_kind:
            continue
        money_lines = tuple(money_line(line) for line in of_kind)
        groups.append(
            MoneyGroup(kind, LedgerKind(kind).label, money_lines, sum((m.amount for m in money_lines), ZERO))
        )
    return groups


def _differential(plan: PlanDocument, result: DistributorPeriod, legs: list[PeriodLeg]) -> Differential:
    schedule = plan.differential_schedule
    minimums = [bracket.min_group_qv for bracket in schedule]
    rates = [ZERO] + [bracket.rate for bracket in schedule]
    top = minimums[-1] if minimums else None
    breakaway = plan.differential_breakaway
    return Differential(
        group_qv=result.group_qv,
        group_cv=result.group_cv,
        rate=rates[bisect_right(minimums, result.group_qv)],
        brackets=tuple((b.min_group_qv, b.rate) for b in schedule),
        breakaway=breakaway,
        legs=tuple(
            DifferentialLeg(
                leg,
                rates[bisect_right(minimums, leg.group_qv)],
                bool(breakaway and top is not None and leg.group_qv >= top),
            )
            for leg in legs
        ),
    )


def explain_distributor(
    distributor, run: CloseRun, *, with_money: bool = True, all_legs: bool = True
) -> Explanation:
    """Why the distributor has their rank in `run`, requirement by requirement, and every line of
    money with its source, level, rate and base (`with_money=False`: no lines, for a reader that
    pages through them itself; `all_legs=False`: of a frontline longer than LEGS_READ, only the
    legs with the most GV, the rank checks summing every leg from what the close stored)."""
    result = DistributorPeriod.objects.filter(run=run, distributor=distributor).first()
    if result is None:
        raise NotFound(
            _(
                "Distributor %(distributor)s has no results in %(run)s: they did not exist in %(period)s "
                "or the run has not written them yet."
            )
            % {"distributor": distributor.external_id, "run": run, "period": run.period},
            field="distributor",
        )
    plan = parse_plan_document(run.plan.document)
    summary = None if all_legs else result.leg_summary
    legs = _legs(run, distributor.pk, summary["top"] if summary is not None else None)
    period_end = period_bounds(run.period.start)[1]

    cap = plan.personal_consumption_cap_qv
    left_out = max(result.ppc - cap, ZERO) if cap is not None else ZERO
    min_pv = plan.activity_min_pv
    activity = Requirement(
        _("Personal volume (PV)"),
        min_pv if min_pv is not None else _("none"),
        result.pv,
        bool(result.active),
    )
    requirement = plan.customer_requirement
    customer = []
    if requirement is not None:
        if requirement.min_pcv is not None:
            customer.append(
                Requirement(
                    _("Customer volume (PCV)"),
                    requirement.min_pcv,
                    result.pcv,
                    result.pcv >= requirement.min_pcv,
                )
            )
        if requirement.min_customers is not None:
            customer.append(
                Requirement(
                    _("Paying customers"),
                    requirement.min_customers,
                    result.customer_count,
                    result.customer_count >= requirement.min_customers,
                )
            )
    met_text = _("met") if result.customer_requirement_met else _("not met")
    eligibility = (
        Requirement(_("Active"), _("yes"), _("yes") if result.active else _("no"), bool(result.active)),
        _status_requirement(result, distributor, period_end),
        Requirement(
            _("Customer requirement"), _("met"), met_text, bool(result.customer_requirement_met),
            _(" or ").join(f"{r.label} ≥ {r.required_text}" for r in customer)
            if customer
            else _("no customer requirement in the plan"),
        ),
    )  # fmt: skip

    checks = rank_checks(plan, result, legs, summary=summary) if not plan.is_differential else []
    names = plan_rank_names(plan)
    paid_as = result.paid_as_rank
    next_rank = next((check for check in checks if check.number == paid_as + 1), None)
    notes = []
    if checks and paid_as_from_checks(checks) != paid_as:
        notes.append(
            _("The run recorded rank %(recorded)s; the requirements above give %(computed)s.")
            % {
                "recorded": formatting.rank(paid_as, names),
                "computed": formatting.rank(paid_as_from_checks(checks), names),
            }
        )
    statement = Statement.objects.filter(run=run, distributor=distributor).first()
    return Explanation(
        distributor_id=distributor.pk,
        external_id=distributor.external_id,
        name=distributor.name,
        run_id=run.pk,
        run_kind=run.kind,
        period=period_label(run.period.start),
        plan_version=run.plan.version,
        plan_type=plan.type,
        pcv=result.pcv,
        ppc=result.ppc,
        consumption_cap=cap,
        ppc_left_out=left_out,
        pv=result.pv,
        gv=result.gv,
        customer_cv=result.customer_cv,
        own_cv=result.own_cv,
        own_cv_share=result.own_cv_share,
        rewardable_cv=result.rewardable_cv,
        customer_paid=result.customer_paid,
        activity=activity,
        customer_requirement=tuple(customer),
        customer_requirement_met=bool(result.customer_requirement_met),
        eligibility=eligibility,
        override_eligible=bool(result.override_eligible),
        active_frontline=result.active_frontline,
        legs=tuple(legs),
        ranks=tuple(checks),
        paid_as_rank=paid_as,
        paid_as_name=names.get(paid_as, _("no rank")),
        title=result.title,
        next_rank=next_rank,
        money=tuple(_money(run, distributor.pk)) if with_money else (),
        carried_in=statement.carried_in if statement else ZERO,
        net=statement.net if statement else ZERO,
        payout=statement.payout if statement else ZERO,
        carried_out=statement.carried_out if statement else ZERO,
        differential=_differential(plan, result, legs) if plan.is_differential else None,
        notes=tuple(notes),
        rank_names=names,
        leg_count=result.frontline_count if summary is not None else len(legs),
    )


def explanation_text(e: Explanation) -> str:
    """The explanation as plain text (what `manage.py explain` prints)."""
    met = {True: _("met"), False: _("NOT met")}
    header = (
        _("%(name)s (%(id)s), %(period)s: preview run %(run)s, plan %(version)s (%(type)s)")
        if e.run_kind == "preview"
        else _("%(name)s (%(id)s), %(period)s: final close run %(run)s, plan %(version)s (%(type)s)")
    )
    out = [
        header % {
            "name": e.name, "id": e.external_id, "period": e.period, "run": e.run_id,
            "version": e.plan_version, "type": e.plan_type,
        },
        "",
        _("Volumes"),
        *(f"  {label:<28}{value}" for label, value in e.volume_rows),
        "",
        _("Activity: %(activity)s") % {"activity": e.activity},
        _("Customer requirement: %(met)s") % {"met": met[e.customer_requirement_met]}
        + "".join(f"\n  {r}" for r in e.customer_requirement),
        _("Override eligibility: %(eligible)s") % {"eligible": _("yes") if e.override_eligible else _("NO")}
        + "".join(f"\n  {r}" for r in e.eligibility),
    ]  # fmt: skip
    if e.legs:
        out += ["", _("Frontline legs (%(active)s active)") % {"active": e.active_frontline}]
        for leg in e.legs:
            active = _("active") if leg.active else _("inactive")
            out.append(
                f"  {leg.external_id:<12} {leg.name:<24} {active:<9}"
                + _("rank %(rank)s  GV %(gv)s  highest rank in leg %(highest)s")
                % {
                    "rank": e.rank_text(leg.paid_as_rank),
                    "gv": formatting.points(leg.gv),
                    "highest": e.rank_text(leg.highest_rank),
                }
            )
    if e.ranks:
        out += [
            "",
            _("Paid-as rank: %(rank)s (%(name)s); title %(title)s")
            % {"rank": e.paid_as_rank, "name": e.paid_as_name, "title": e.rank_text(e.title)},
        ]
        for check in e.ranks:
            out.append(
                "  "
                + _("rank %(number)s %(name)s: %(met)s")
                % {"number": check.number, "name": check.name, "met": met[check.met]}
            )
            out += [f"    {r}" for r in check.requirements]
        if e.next_rank is not None:
            out.append(
                _("Next rank %(number)s (%(name)s) is missing: ")
                % {"number": e.next_rank.number, "name": e.next_rank.name}
                + "; ".join(
                    _("%(label)s %(actual)s of %(required)s")
                    % {"label": r.label, "actual": r.actual_text, "required": r.required_text}
                    for r in e.next_rank.missing
                )
            )
    if e.differential is not None:
        d = e.differential
        schedule = (
            _("%(group)s: bracket %(rate)s (schedule: %(schedule)s; breakaway on)")
            if d.breakaway
            else _("%(group)s: bracket %(rate)s (schedule: %(schedule)s; breakaway off)")
        )
        out += ["", schedule % {"group": d.group_text, "rate": d.rate_text, "schedule": d.schedule_text}]
        for leg in d.legs:
            out.append(
                "  "
                + _("leg %(leg)s: group QV %(qv)s, rate %(rate)s")
                % {"leg": leg.leg.external_id, "qv": leg.leg.group_qv_text, "rate": leg.rate_text}
                + (" — " + _("broke away") if leg.broke_away else "")
            )
    out += ["", _("Money")]
    if not e.money:
        out.append("  " + _("no lines in this run"))
    for group in e.money:
        out.append(f"  {group.label}: {formatting.money(group.total)}")
        for line in group.lines:
            parts = [f"    {formatting.money(line.amount):>10}"]
            if line.level:
                parts.append(_("level %(level)s") % {"level": line.level})
            if line.source_external_id:
                parts.append(
                    _("from %(name)s (%(id)s)") % {"name": line.source_name, "id": line.source_external_id}
                )
            if line.kind != LedgerKind.ADJUSTMENT:
                parts.append(
                    _("%(rate)s of %(base)s")
                    % {
                        "rate": _rate_text(line.rate),
                        "base": _volume_text(line.base),
                    }
                )
            if line.original_period:
                parts.append(_("reverses %(period)s") % {"period": line.original_period})
            if line.reason:
                parts.append(line.reason)
            out.append("  ".join(parts))
    out += [
        "  "
        + _("carried in %(carried_in)s, net %(net)s, payout %(payout)s, carried out %(carried_out)s")
        % {
            "carried_in": formatting.money(e.carried_in),
            "net": formatting.money(e.net),
            "payout": formatting.money(e.payout),
            "carried_out": formatting.money(e.carried_out),
        },
    ]
    out += [_("Note: %(note)s") % {"note": note} for note in e.notes]
    return "\n".join(out)
