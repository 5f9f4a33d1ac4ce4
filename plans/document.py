"""The plan document (docs/plan-format.md): a versioned JSON description of a compensation plan.

`parse_plan_document` validates a whole document and either returns a frozen `PlanDocument` or
raises `PlanDocumentError` listing every problem by its JSON path, so a user fixes all of them at
once. Amounts, rates and volumes are strings holding decimals: a JSON number would have passed
through a float on its way here.

Over 500 lines on purpose: one parser of one document format, each rule of docs/plan-format.md
beside the next, so the format is checked against one file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import ApplicationError

DEFAULT_PLAN_PATH = Path(__file__).resolve().parent / "default_plan.json"

PLAN_TYPES = ("unilevel", "differential")
COMPRESSIONS = ("not_eligible", "inactive", "none")
DECIMAL_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
NAME_MAX = 100  # Plan.name
VERSION_MAX = 32  # Plan.version


class PlanDocumentError(ApplicationError):
    """The plan document is invalid. `problems` lists every (json path, message) found."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = list(problems)
        count = len(self.problems)
        lines = "; ".join(f"{path}: {message}" for path, message in self.problems)
        super().__init__(
            f"The plan document has {count} problem{'s' if count != 1 else ''}: {lines}",
            extra={"problems": [{"path": p, "message": m} for p, m in self.problems]},
        )


@dataclass(frozen=True, slots=True)
class Rank:
    number: int
    name: str
    min_pv: Decimal
    active_frontline: int
    min_gv: Decimal
    max_leg_share: Decimal | None  # None: a leg counts in full
    qualified_legs: int
    leg_rank: int

    @property
    def max_per_leg(self) -> Decimal | None:
        """The most GV any one leg contributes to the qualifying GV of this rank."""
        return None if self.max_leg_share is None else self.max_leg_share * self.min_gv


@dataclass(frozen=True, slots=True)
class Level:
    level: int
    rate: Decimal
    min_rank: int


@dataclass(frozen=True, slots=True)
class CustomerRequirement:
    min_pcv: Decimal | None  # None: this alternative does not exist
    min_customers: int | None


@dataclass(frozen=True, slots=True)
class HostRewardTier:
    min_qps: Decimal
    rate: Decimal


@dataclass(frozen=True, slots=True)
class HostRewards:
    tiers: tuple[HostRewardTier, ...]
    half_price_item_per: Decimal
    half_price_items_max: int
    credit_valid_days: int
    close_within_days: int


@dataclass(frozen=True, slots=True)
class Bracket:
    min_group_qv: Decimal
    rate: Decimal


@dataclass(frozen=True, slots=True)
class PlanDocument:
    name: str
    version: str
    type: str  # "unilevel" | "differential"
    currency: str
    time_zone: str
    personal_consumption_cap_qv: Decimal | None  # None: own purchases count in full
    activity_min_pv: Decimal | None  # None: everyone is active
    customer_requirement: CustomerRequirement | None  # None: no customer requirement
    ranks: tuple[Rank, ...]  # sorted by number, 1..n; empty in a differential plan
    personal_commission_rate: Decimal
    levels: tuple[Level, ...]  # sorted by level, 1..n; empty in a differential plan
    compression: str  # "not_eligible" | "inactive" | "none"
    roll_up: bool
    host_rewards: HostRewards
    payout_minimum: Decimal
    buyback_window_months: int
    buyback_refund_share: Decimal
    cooling_off_days: int
    differential_schedule: tuple[Bracket, ...]  # ascending; empty in a unilevel plan
    differential_breakaway: bool

    @property
    def is_differential(self) -> bool:
        return self.type == "differential"


def load_plan_file(path: str | Path) -> dict:
    """Read a plan document from a JSON file; unreadable files and JSON errors are problems too."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanDocumentError([("$", f"cannot read {path}: {exc.strerror or exc}")]) from exc
    except UnicodeDecodeError as exc:
        raise PlanDocumentError([("$", f"{path} is not UTF-8 text")]) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanDocumentError(
            [("$", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")]
        ) from exc
    if not isinstance(data, dict):
        raise PlanDocumentError([("$", "the plan document must be a JSON object")])
    return data


def parse_plan_document(data: Any) -> PlanDocument:
    """Validate a plan document and return it parsed; raise PlanDocumentError with every problem."""
    return _Parser().parse(data)


_MISSING = object()


class _Parser:
    """Collects problems instead of stopping at the first one."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []
        self.rank_count = 0

    def problem(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    # -- shapes ------------------------------------------------------------------------------

    def obj(self, value: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...]) -> dict | None:
        """An object with exactly these keys; reports missing and unknown keys."""
        if not isinstance(value, dict):
            self.problem(path, f"must be an object, not {_json_type(value)}")
            return None
        for key in required:
            if key not in value:
                self.problem(f"{path}.{key}", "is required")
        allowed = set(required) | set(optional)
        for key in value:
            if key not in allowed:
                self.problem(f"{path}.{key}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
        return value

    def decimal(
        self,
        value: Any,
        path: str,
        *,
        minimum: Decimal | None = Decimal(0),
        maximum: Decimal | None = None,
        positive: bool = False,
    ) -> Decimal | None:
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            hint = " (a JSON number is not allowed: write it as a string)" if _is_number(value) else ""
            self.problem(path, f'must be a string holding a decimal, e.g. "0.05"{hint}')
            return None
        if not DECIMAL_RE.match(value):
            self.problem(path, f'"{value}" is not a decimal number like "150" or "0.05"')
            return None
        number = Decimal(value)
        if positive and number <= 0:
            self.problem(path, f"must be greater than 0, not {value}")
        elif minimum is not None and number < minimum:
            self.problem(path, f"must be at least {minimum}, not {value}")
        elif maximum is not None and number > maximum:
            self.problem(path, f"must be at most {maximum}, not {value}")
        return number

    def rate(self, value: Any, path: str) -> Decimal | None:
        return self.decimal(value, path, minimum=Decimal(0), maximum=Decimal(1))

    def integer(self, value: Any, path: str, *, minimum: int = 0, maximum: int | None = None) -> int | None:
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(path, f"must be a whole number, not {_json_type(value)}")
            return None
        if value < minimum:
            self.problem(path, f"must be at least {minimum}, not {value}")
        elif maximum is not None and value > maximum:
            self.problem(path, f"must be at most {maximum}, not {value}")
        return value

    def boolean(self, value: Any, path: str) -> bool | None:
        if value is _MISSING:
            return None
        if not isinstance(value, bool):
            self.problem(path, f"must be true or false, not {_json_type(value)}")
            return None
        return value

    def string(self, value: Any, path: str, *, max_length: int | None = None) -> str | None:
        if value is _MISSING:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(path, "must be a non-empty string")
            return None
        if max_length is not None and len(value) > max_length:
            self.problem(path, f"must be at most {max_length} characters")
        return value

    def array(self, value: Any, path: str, *, non_empty: bool = True) -> list:
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.problem(path, f"must be an array, not {_json_type(value)}")
            return []
        if non_empty and not value:
            self.problem(path, "must not be empty")
        return value

    # -- the document ------------------------------------------------------------------------

    def parse(self, data: Any) -> PlanDocument:
        top_required = (
            "name", "version", "type", "currency", "time_zone", "personal_commission",
            "host_rewards", "payout", "buyback", "cooling_off_days",
        )  # fmt: skip
        top_optional = ("volumes", "activity", "customer_requirement", "ranks", "unilevel", "differential")
        doc = self.obj(data, "$", top_required, top_optional)
        if doc is None:
            raise PlanDocumentError(self.problems)
        get = doc.get

        name = self.string(get("name", _MISSING), "$.name", max_length=NAME_MAX)
        version = self.string(get("version", _MISSING), "$.version", max_length=VERSION_MAX)
        plan_type = get("type", _MISSING)
        if plan_type is not _MISSING and plan_type not in PLAN_TYPES:
            self.problem("$.type", f"must be one of {', '.join(PLAN_TYPES)}, not {json.dumps(plan_type)}")
        currency = get("currency", _MISSING)
        if currency is not _MISSING and not (isinstance(currency, str) and CURRENCY_RE.match(currency)):
            self.problem("$.currency", 'must be a three-letter ISO 4217 code such as "EUR"')
        time_zone = self.string(get("time_zone", _MISSING), "$.time_zone")
        if time_zone is not None:
            try:
                ZoneInfo(time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                self.problem(
                    "$.time_zone", f'"{time_zone}" is not a known time zone such as "Europe/Amsterdam"'
                )

        cap = self.optional_section(doc, "volumes", (), ("personal_consumption_cap_qv",))
        cap_qv = self.decimal(
            cap.get("personal_consumption_cap_qv", _MISSING), "$.volumes.personal_consumption_cap_qv"
        )
        activity = self.optional_section(doc, "activity", ("min_pv",), ())
        activity_min_pv = self.decimal(activity.get("min_pv", _MISSING), "$.activity.min_pv")
        customer_requirement = self.customer_requirement(doc)

        personal = self.section(doc, "personal_commission", ("rate",), ())
        personal_rate = self.rate(personal.get("rate", _MISSING), "$.personal_commission.rate")

        ranks: tuple[Rank, ...] = ()
        levels: tuple[Level, ...] = ()
        compression, roll_up = "not_eligible", False
        schedule: tuple[Bracket, ...] = ()
        breakaway = True
        if plan_type == "unilevel":
            for key in ("differential",):
                if key in doc:
                    self.problem(f"$.{key}", "is not allowed in a unilevel plan")
            ranks = self.ranks(doc)
            levels, compression, roll_up = self.unilevel(doc, self.rank_count)
        elif plan_type == "differential":
            for key in ("ranks", "unilevel"):
                if key in doc:
                    self.problem(f"$.{key}", "is not allowed in a differential plan")
            schedule, breakaway = self.differential(doc)

        host_rewards = self.host_rewards(doc)
        payout = self.section(doc, "payout", ("minimum",), ())
        payout_minimum = self.decimal(payout.get("minimum", _MISSING), "$.payout.minimum")
        buyback = self.section(doc, "buyback", ("window_months", "refund_share"), ())
        window_months = self.integer(buyback.get("window_months", _MISSING), "$.buyback.window_months")
        refund_share = self.rate(buyback.get("refund_share", _MISSING), "$.buyback.refund_share")
        cooling_off_days = self.integer(get("cooling_off_days", _MISSING), "$.cooling_off_days")

        if self.problems:
            raise PlanDocumentError(self.problems)
        # A check returns None only for a missing value, and a missing required key is a problem.
        assert (
            name is not None
            and version is not None
            and time_zone is not None
            and personal_rate is not None
            and payout_minimum is not None
            and window_months is not None
            and refund_share is not None
            and cooling_off_days is not None
        )
        return PlanDocument(
            name=name,
            version=version,
            type=plan_type,
            currency=currency,
            time_zone=time_zone,
            personal_consumption_cap_qv=cap_qv,
            activity_min_pv=activity_min_pv,
            customer_requirement=customer_requirement,
            ranks=ranks,
            personal_commission_rate=personal_rate,
            levels=levels,
            compression=compression,
            roll_up=roll_up,
            host_rewards=host_rewards,
            payout_minimum=payout_minimum,
            buyback_window_months=window_months,
            buyback_refund_share=refund_share,
            cooling_off_days=cooling_off_days,
            differential_schedule=schedule,
            differential_breakaway=breakaway,
        )

    def section(self, doc: dict, key: str, required: tuple[str, ...], optional: tuple[str, ...]) -> dict:
        if key not in doc:
            return {}  # reported as a missing top-level key already
        return self.obj(doc[key], f"$.{key}", required, optional) or {}

    def optional_section(
        self, doc: dict, key: str, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> dict:
        return self.section(doc, key, required, optional)

    def customer_requirement(self, doc: dict) -> CustomerRequirement | None:
        if "customer_requirement" not in doc:
            return None
        section = self.obj(
            doc["customer_requirement"], "$.customer_requirement", (), ("min_pcv", "min_customers")
        )
        if section is None:
            return None
        if not section.keys() & {"min_pcv", "min_customers"}:
            self.problem(
                "$.customer_requirement", "needs min_pcv, min_customers or both (leave it out for none)"
            )
        min_pcv = self.decimal(section.get("min_pcv", _MISSING), "$.customer_requirement.min_pcv")
        min_customers = self.integer(
            section.get("min_customers", _MISSING), "$.customer_requirement.min_customers"
        )
        return CustomerRequirement(min_pcv=min_pcv, min_customers=min_customers)

    def ranks(self, doc: dict) -> tuple[Rank, ...]:
        if "ranks" not in doc:
            self.problem("$.ranks", "is required in a unilevel plan")
            return ()
        items = self.array(doc["ranks"], "$.ranks")
        fields = (
            "number",
            "name",
            "min_pv",
            "active_frontline",
            "min_gv",
            "max_leg_share",
            "qualified_legs",
            "leg_rank",
        )
        count = len(items)
        self.rank_count = count
        ranks = []
        for i, item in enumerate(items):
            path = f"$.ranks[{i}]"
            entry = self.obj(item, path, fields, ())
            if entry is None:
                continue
            number = self.integer(entry.get("number", _MISSING), f"{path}.number", minimum=1)
            rank_name = self.string(entry.get("name", _MISSING), f"{path}.name")
            min_pv = self.decimal(entry.get("min_pv", _MISSING), f"{path}.min_pv")
            active_frontline = self.integer(
                entry.get("active_frontline", _MISSING), f"{path}.active_frontline"
            )
            min_gv = self.decimal(entry.get("min_gv", _MISSING), f"{path}.min_gv")
            share = entry.get("max_leg_share", _MISSING)
            max_leg_share = (
                None if share is None else self.decimal(share, f"{path}.max_leg_share", positive=True)
            )
            if max_leg_share is not None and max_leg_share > 1:
                self.problem(f"{path}.max_leg_share", f"must be at most 1 (or null for no cap), not {share}")
            qualified_legs = self.integer(entry.get("qualified_legs", _MISSING), f"{path}.qualified_legs")
            leg_rank = self.integer(
                entry.get("leg_rank", _MISSING), f"{path}.leg_rank", maximum=max(count, 0)
            )
            if qualified_legs and leg_rank == 0:
                self.problem(f"{path}.leg_rank", "must be at least 1 when qualified_legs is more than 0")
            if (
                number is not None
                and rank_name is not None
                and min_pv is not None
                and active_frontline is not None
                and min_gv is not None
                and qualified_legs is not None
                and leg_rank is not None
                and (share is None or max_leg_share is not None)
            ):
                ranks.append(
                    Rank(
                        number,
                        rank_name,
                        min_pv,
                        active_frontline,
                        min_gv,
                        max_leg_share,
                        qualified_legs,
                        leg_rank,
                    )
                )
        numbers = sorted(
            item["number"] for item in items if isinstance(item, dict) and type(item.get("number")) is int
        )
        if numbers and numbers != list(range(1, count + 1)):
            self.problem("$.ranks", f"rank numbers must be 1..{count}, each once; found {numbers}")
        return tuple(sorted(ranks, key=lambda rank: rank.number))

    def unilevel(self, doc: dict, rank_count: int) -> tuple[tuple[Level, ...], str, bool]:
        if "unilevel" not in doc:
            self.problem("$.unilevel", "is required in a unilevel plan")
            return (), "not_eligible", False
        section = self.obj(doc["unilevel"], "$.unilevel", ("levels",), ("compression", "roll_up"))
        if section is None:
            return (), "not_eligible", False
        items = self.array(section.get("levels", _MISSING), "$.unilevel.levels")
        levels = []
        for i, item in enumerate(items):
            path = f"$.unilevel.levels[{i}]"
            entry = self.obj(item, path, ("level", "rate", "min_rank"), ())
            if entry is None:
                continue
            number = self.integer(entry.get("level", _MISSING), f"{path}.level", minimum=1)
            rate = self.rate(entry.get("rate", _MISSING), f"{path}.rate")
            min_rank = self.integer(entry.get("min_rank", _MISSING), f"{path}.min_rank", maximum=rank_count)
            if None not in (number, rate, min_rank):
                levels.append(Level(number, rate, min_rank))  # type: ignore[arg-type]
        numbers = sorted(
            item["level"] for item in items if isinstance(item, dict) and type(item.get("level")) is int
        )
        if numbers and numbers != list(range(1, len(items) + 1)):
            self.problem("$.unilevel.levels", f"levels must be 1..{len(items)}, each once; found {numbers}")
        compression = section.get("compression", "not_eligible")
        if compression not in COMPRESSIONS:
            self.problem(
                "$.unilevel.compression",
                f"must be one of {', '.join(COMPRESSIONS)}, not {json.dumps(compression)}",
            )
            compression = "not_eligible"
        roll_up = self.boolean(section.get("roll_up", False), "$.unilevel.roll_up")
        return tuple(sorted(levels, key=lambda level: level.level)), compression, bool(roll_up)

    def differential(self, doc: dict) -> tuple[tuple[Bracket, ...], bool]:
        if "differential" not in doc:
            self.problem("$.differential", "is required in a differential plan")
            return (), True
        section = self.obj(doc["differential"], "$.differential", ("schedule",), ("breakaway",))
        if section is None:
            return (), True
        items = self.array(section.get("schedule", _MISSING), "$.differential.schedule")
        brackets = []
        for i, item in enumerate(items):
            path = f"$.differential.schedule[{i}]"
            entry = self.obj(item, path, ("min_group_qv", "rate"), ())
            if entry is None:
                continue
            min_group_qv = self.decimal(entry.get("min_group_qv", _MISSING), f"{path}.min_group_qv")
            rate = self.rate(entry.get("rate", _MISSING), f"{path}.rate")
            if min_group_qv is not None and rate is not None:
                brackets.append(Bracket(min_group_qv, rate))
            if brackets and len(brackets) >= 2 and brackets[-1].min_group_qv <= brackets[-2].min_group_qv:
                self.problem(f"{path}.min_group_qv", "brackets must be in strictly ascending min_group_qv")
        breakaway = self.boolean(section.get("breakaway", True), "$.differential.breakaway")
        return tuple(brackets), bool(breakaway)

    def host_rewards(self, doc: dict) -> HostRewards:
        keys = (
            "tiers",
            "half_price_item_per",
            "half_price_items_max",
            "credit_valid_days",
            "close_within_days",
        )
        section = self.section(doc, "host_rewards", keys, ())
        items = self.array(section.get("tiers", _MISSING), "$.host_rewards.tiers")
        tiers = []
        for i, item in enumerate(items):
            path = f"$.host_rewards.tiers[{i}]"
            entry = self.obj(item, path, ("min_qps", "rate"), ())
            if entry is None:
                continue
            min_qps = self.decimal(entry.get("min_qps", _MISSING), f"{path}.min_qps")
            rate = self.rate(entry.get("rate", _MISSING), f"{path}.rate")
            if min_qps is not None and rate is not None:
                tiers.append(HostRewardTier(min_qps, rate))
            if len(tiers) >= 2 and tiers[-1].min_qps <= tiers[-2].min_qps:
                self.problem(f"{path}.min_qps", "tiers must be in strictly ascending min_qps")
        per = self.decimal(
            section.get("half_price_item_per", _MISSING), "$.host_rewards.half_price_item_per", positive=True
        )
        items_max = self.integer(
            section.get("half_price_items_max", _MISSING), "$.host_rewards.half_price_items_max"
        )
        valid_days = self.integer(
            section.get("credit_valid_days", _MISSING), "$.host_rewards.credit_valid_days", minimum=1
        )
        close_days = self.integer(
            section.get("close_within_days", _MISSING), "$.host_rewards.close_within_days", minimum=1
        )
        return HostRewards(tuple(tiers), per, items_max, valid_days, close_days)  # type: ignore[arg-type]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f'the string "{value}"'
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def current_plan_document(plan: Any = None) -> PlanDocument:
    """The parsed document of `plan`, else of the newest plan loaded, else the shipped default.

    Every reader of plan parameters outside the close (order rules, buy-back terms, the
    dashboard) goes through this, so they read typed, validated values and share one default.
    """
    if plan is None:
        from plans.models import Plan

        plan = Plan.objects.order_by("-loaded_at", "-id").only("document").first()
    document = plan.document if plan is not None else load_plan_file(DEFAULT_PLAN_PATH)
    return parse_plan_document(document)
