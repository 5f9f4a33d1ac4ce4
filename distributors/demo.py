"""A believable Dutch demo network, deterministic for a seed.

The shape follows how networks grow: seven leaders whose legs draw new recruits in skewed
proportions, and inside each leg preferential attachment (who already recruits, recruits more)
with a bias to recent recruits, so a few big legs with long tails stand beside small ones.
Rows are bulk-created level by level and numbered once with `renumber_trees()`.
"""

from __future__ import annotations

import random
from datetime import timedelta
from io import TextIOBase

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker
from schwifty import IBAN

from core.errors import Conflict
from core.locks import SPONSOR_TREE_LOCK, advisory_xact_lock

from .models import BankAccount, Distributor, DistributorStatus, VatRegistration
from .services.referral_codes import REFERRAL_ALPHABET, REFERRAL_CODE_LENGTH
from .tree import renumber_trees

MAX_DEPTH = 15
ROOT_FRONTLINE = 7  # the company's first leaders; everyone else joins through someone
# How new recruits spread over the leaders' legs: a few big legs, a long tail of small ones.
LEG_WEIGHTS = [34, 24, 16, 10, 8, 5, 3]
HISTORY_DAYS = 900
DEMO_PASSWORD_PREFIX = "demo-"


def demo_password(seed: int, referral_code: str) -> str:
    """A demo login's password: derived, so a later `seed_demo --if-empty` can print it again."""
    return f"{DEMO_PASSWORD_PREFIX}{seed}-{referral_code.lower()}"


def _grow_tree(size: int, rng: random.Random) -> tuple[list[int | None], list[int]]:
    """Sponsor index and depth of every node; node 0 is the root, 1..7 its leaders."""
    sponsor: list[int | None] = [None]
    depth = [0]
    legs = min(ROOT_FRONTLINE, size - 1)
    # Each leg keeps its members once, plus once per recruit: preferential attachment.
    pools: list[list[int]] = []
    for leg in range(legs):
        sponsor.append(0)
        depth.append(1)
        pools.append([leg + 1])
    for i in range(legs + 1, size):
        pool = rng.choices(pools, weights=LEG_WEIGHTS[:legs])[0]
        if len(pool) > 20 and rng.random() < 0.3:
            # Fresh recruits bring in friends soon after joining: this grows the long tails.
            candidate = pool[-rng.randint(1, min(30, len(pool)))]
        else:
            candidate = rng.choice(pool)
        while depth[candidate] >= MAX_DEPTH:
            candidate = sponsor[candidate]
        sponsor.append(candidate)
        depth.append(depth[candidate] + 1)
        pool.extend((candidate, i))
    return sponsor, depth


def seed_network(
    *, size: int = 2000, seed: int = 1, stdout: TextIOBase | None = None
) -> list[tuple[str, str]]:
    """Create a demo network of `size` distributors; returns (username, password) of a few logins.

    The same seed gives the same network (dates are relative to today's midnight, UTC).
    Refuses to run when distributors already exist.
    """
    if size < 1:
        raise Conflict("The demo network needs at least one distributor.", field="size")
    rng = random.Random(seed)
    fake = Faker("nl_NL")
    fake.seed_instance(seed)

    sponsor, depth = _grow_tree(size, rng)
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=HISTORY_DAYS)
    # Increasing enrollment times, so every sponsor enrolled before their recruits.
    offsets = sorted(rng.random() for _ in range(size - 1))
    enrolled = [start] + [start + timedelta(seconds=int(o * HISTORY_DAYS * 86_400)) for o in offsets]
    has_frontline = set(s for s in sponsor if s is not None)

    emails: set[str] = set()
    codes: set[str] = set()
    rows: list[Distributor] = []
    for i in range(size):
        first, last = ("Lotte", "van Dijk") if i == 0 else (fake.first_name(), fake.last_name())
        local = f"{slugify(first)}.{slugify(last)}".replace("-", "")
        email = f"{local}@example.nl"
        n = 2
        while email in emails:
            email = f"{local}{n}@example.nl"
            n += 1
        emails.add(email)
        code = "".join(rng.choice(REFERRAL_ALPHABET) for _ in range(REFERRAL_CODE_LENGTH))
        while code in codes:
            code = "".join(rng.choice(REFERRAL_ALPHABET) for _ in range(REFERRAL_CODE_LENGTH))
        codes.add(code)
        roll = rng.random()
        status, terminated_at = DistributorStatus.ACTIVE, None
        if i and i not in has_frontline and roll < 0.02:
            # Only people without a frontline: a terminated sponsor's frontline would have rolled up.
            status = DistributorStatus.TERMINATED
            terminated_at = min(today, enrolled[i] + timedelta(days=rng.randint(30, 400)))
        elif i and roll < 0.035:
            status = DistributorStatus.HOLD
        country = "NL" if rng.random() < 0.9 else rng.choice(["BE", "BE", "DE"])
        rows.append(
            Distributor(
                external_id=f"D{100_000 + i}",
                first_name=first,
                last_name=last,
                email=email,
                phone=fake.phone_number(),
                country=country,
                status=status,
                enrolled_at=enrolled[i],
                terminated_at=terminated_at,
                referral_code=code,
                lft=0,
                rght=0,
                tree_id=0,
                level=0,
            )
        )

    logins = _login_nodes(sponsor, size)
    with transaction.atomic():
        advisory_xact_lock(SPONSOR_TREE_LOCK)
        if Distributor.objects.exists():
            raise Conflict("Distributors already exist; seed the demo network into an empty database.")
        for level in range(max(depth) + 1):
            batch = [i for i in range(size) if depth[i] == level]
            for i in batch:
                s = sponsor[i]
                rows[i].sponsor_id = rows[s].pk if s is not None else None
            Distributor.objects.bulk_create([rows[i] for i in batch], batch_size=1000)
        renumber_trees()
        credentials = _create_logins([rows[i] for i in logins], seed, stdout)
        seed_bank_accounts()
        seed_vat_registrations([rows[i].pk for i in logins])
    if stdout is not None:
        stdout.write(f"Seeded {size} distributors, down to depth {max(depth)}.\n")
    return credentials


def demo_iban(number: int) -> str:
    """A made-up but valid Dutch IBAN (check digits computed by schwifty) for the demo and tests."""
    return str(IBAN.generate("NL", bank_code="ABNA", account_code=f"{number % 10**10:010d}").compact)


def seed_bank_accounts(distributor_ids: list[int] | None = None) -> int:
    """A bank account for each distributor without one, as they would enter it in the portal (a
    valid IBAN made from their id); written in bulk, as the rest of the demo network."""
    distributors = Distributor.objects.filter(bank_account__isnull=True).order_by("id")
    if distributor_ids is not None:
        distributors = distributors.filter(pk__in=distributor_ids)
    accounts = [
        BankAccount(distributor_id=pk, holder=f"{first} {last}"[:70], iban=demo_iban(4_000_000_000 + pk))
        for pk, first, last in distributors.values_list("id", "first_name", "last_name")
    ]
    BankAccount.objects.bulk_create(accounts, batch_size=2_000, ignore_conflicts=True)
    return len(accounts)


# Valid numbers (python-stdnum checks them) of made-up businesses, one per VAT status that has one.
DEMO_VAT = [
    ("nl", "NL000099998B57", "Dorpsstraat 12\n3511 AB Utrecht"),
    ("eu", "BE0411905847", "Rue de la Loi 16\n1000 Bruxelles"),
    ("kor", "", "Kerkplein 3\n9711 AA Groningen"),
]


def seed_vat_registrations(login_ids: list[int]) -> int:
    """A VAT status for the demo logins (VAT-registered in NL, in another EU country, the small-
    business scheme, in that order) and for every fifth other distributor in turn: the payout
    batches then issue invoices of each kind. The rest stay not registered."""
    ids = Distributor.objects.order_by("id").values_list("id", flat=True)
    others = [pk for pk in ids if pk not in login_ids]
    chosen = [*login_ids, *others[4::5]]
    rows = [
        VatRegistration(distributor_id=pk, vat_status=status, vat_number=number, address=address)
        for index, pk in enumerate(chosen)
        for status, number, address in [DEMO_VAT[index % len(DEMO_VAT)]]
    ]
    VatRegistration.objects.bulk_create(rows, batch_size=2_000, ignore_conflicts=True)
    return len(rows)


def _login_nodes(sponsor: list[int | None], size: int) -> list[int]:
    """The root and the two leaders with the biggest legs."""
    leg_size = [1] * size
    for i in range(size - 1, 0, -1):
        leg_size[sponsor[i]] += leg_size[i]  # type: ignore[index]
    leaders = sorted((i for i in range(1, size) if sponsor[i] == 0), key=lambda i: (-leg_size[i], i))
    return [0, *leaders[:2]]


def _create_logins(
    distributors: list[Distributor], seed: int, stdout: TextIOBase | None
) -> list[tuple[str, str]]:
    User = get_user_model()
    credentials = []
    for distributor in distributors:
        password = demo_password(seed, distributor.referral_code)
        user = User.objects.create_user(
            username=distributor.email,
            email=distributor.email,
            password=password,
            first_name=distributor.first_name,
            last_name=distributor.last_name,
        )
        Distributor.objects.filter(pk=distributor.pk).update(user=user)
        credentials.append((user.get_username(), password))
        if stdout is not None:
            stdout.write(f"Login {user.get_username()} / {password} ({distributor.name})\n")
    return credentials


def seed_moves(*, actor, stdout: TextIOBase | None = None) -> list:
    """One move through the tree service, as staff make it: the newest distributor, with their
    downline, under the first root, so the sponsor history and the audit trail show one."""
    from .services.moves import distributor_move

    root = Distributor.objects.filter(sponsor__isnull=True).order_by("id").first()
    newest = (
        Distributor.objects.filter(status=DistributorStatus.ACTIVE, sponsor__isnull=False)
        .exclude(sponsor=root)
        .order_by("-enrolled_at", "-id")
        .first()
    )
    if root is None or newest is None:
        return []
    moved = distributor_move(
        distributor=newest, new_sponsor=root, actor=actor, reason="Demo: asked to join the founder's team"
    )
    if stdout is not None:
        stdout.write(f"Moved {moved.external_id} under {root.external_id}.")
    return [moved]
