"""Demo data: version 1 of the distributor agreement, published and accepted by all demo
distributors but two (one of them a demo login), so the demo shows payouts held until they accept.
Run after the network and before the payout batches (portal/management/commands/seed_demo.py)."""

from __future__ import annotations

from io import TextIOBase
from typing import Any

from django.db import transaction
from django.utils import timezone

from .agreements import AcceptanceChannel, AgreementAcceptance, AgreementClause, AgreementVersion, ClauseKind
from .models import Distributor, DistributorStatus
from .services.agreements import agreement_version_publish

TITLE_EN = "Distributor agreement and policies"
TITLE_NL = "Distributeursovereenkomst en beleidsregels"
BODY_EN = (
    "This agreement is between the company and you, the distributor. It applies from the moment you "
    "accept it and replaces any earlier version.\n\n"
    "You may sell the company's products to customers and introduce new distributors. You earn "
    "commissions only on the sale of products to customers and distributors, never on recruiting as "
    "such. You never have to buy stock, an autoship or a starter kit to stay active, to rank or to earn."
)
BODY_NL = (
    "Deze overeenkomst is gesloten tussen het bedrijf en u, de distributeur. Zij geldt vanaf het moment "
    "dat u haar aanvaardt en vervangt elke eerdere versie.\n\n"
    "U mag de producten van het bedrijf aan klanten verkopen en nieuwe distributeurs aanbrengen. U "
    "verdient alleen commissie op de verkoop van producten aan klanten en distributeurs, nooit op het "
    "aanbrengen als zodanig. U hoeft nooit voorraad, een autoship of een starterspakket te kopen om "
    "actief te blijven, een rang te halen of te verdienen."
)

CLAUSES = [
    (
        ClauseKind.INDEPENDENT_CONTRACTOR,
        "Independent contractor",
        "Zelfstandig ondernemer",
        "You are an independent entrepreneur, not an employee, agent or partner of the company. You decide "
        "when, where and how you work, you bear your own costs and risks, and you are responsible for "
        "your own taxes, registrations and insurance. Nothing in this agreement creates an employment "
        "relationship.",
        "U bent zelfstandig ondernemer, geen werknemer, vertegenwoordiger of vennoot van het bedrijf. U "
        "bepaalt zelf wanneer, waar en hoe u werkt, u draagt uw eigen kosten en risico's en u bent zelf "
        "verantwoordelijk voor uw belastingen, inschrijvingen en verzekeringen. Deze overeenkomst schept "
        "geen arbeidsverhouding.",
    ),
    (
        ClauseKind.SELF_BILLING,
        "Consent to self-billing",
        "Toestemming voor self-billing",
        "You agree that the company issues the invoices for your commissions on your behalf (self-billing, "
        "article 35a of the Dutch VAT Act). Each invoice is numbered, shows your VAT status and is "
        "available in the portal with your statement. You check it and tell the company within 14 days "
        "if anything is wrong; otherwise the invoice counts as accepted. You keep your VAT status and "
        "number up to date under My data.",
        "U gaat ermee akkoord dat het bedrijf de facturen voor uw commissies namens u uitreikt "
        "(self-billing, artikel 35a van de Wet op de omzetbelasting). Elke factuur is genummerd, vermeldt "
        "uw btw-status en staat bij uw overzicht in het portaal. U controleert haar en meldt binnen 14 "
        "dagen als er iets niet klopt; anders geldt de factuur als aanvaard. U houdt uw btw-status en "
        "btw-nummer actueel onder Mijn gegevens.",
    ),
    (
        ClauseKind.POLICY,
        "Policies: fair selling and your data",
        "Beleid: eerlijk verkopen en uw gegevens",
        "You make no income or health claims beyond what the company publishes, you respect the customer's "
        "14-day right of withdrawal, and you buy back nothing you cannot sell: the company buys back "
        "unsold, resaleable products under its buy-back policy. The company processes your personal data "
        "to run this agreement and pay you, keeps your acceptance of each version as evidence, and "
        "includes it in the export of your data.",
        "U doet geen beloften over inkomsten of gezondheid buiten wat het bedrijf publiceert, u respecteert "
        "het herroepingsrecht van 14 dagen van de klant, en u houdt geen voorraad aan die u niet kunt "
        "verkopen: het bedrijf koopt onverkochte, verkoopbare producten terug volgens zijn "
        "terugkoopbeleid. Het bedrijf verwerkt uw persoonsgegevens om deze overeenkomst uit te voeren en u "
        "te betalen, bewaart uw aanvaarding van elke versie als bewijs en neemt die op in de export van "
        "uw gegevens.",
    ),
]


def demo_agreement_holdouts() -> list[int]:
    """The two demo distributors who have not accepted: the last demo login, and the distributor
    without a login who has the biggest downline."""
    logins = list(Distributor.objects.filter(user__isnull=False).order_by("id").values_list("id", flat=True))
    others = (
        Distributor.objects.filter(user__isnull=True)
        .exclude(status=DistributorStatus.TERMINATED)
        .order_by("-downline_size", "id")
        .values_list("id", flat=True)
    )
    return [*logins[-1:], *others[:1]]


@transaction.atomic
def seed_agreement(*, actor: Any, stdout: TextIOBase | None = None) -> AgreementVersion:
    version = AgreementVersion.objects.create(
        number=1, label="2026-01", title_en=TITLE_EN, title_nl=TITLE_NL, body_en=BODY_EN, body_nl=BODY_NL
    )
    AgreementClause.objects.bulk_create(
        AgreementClause(
            version=version,
            position=position,
            kind=kind,
            title_en=title_en,
            title_nl=title_nl,
            text_en=text_en,
            text_nl=text_nl,
        )  # fmt: skip
        for position, (kind, title_en, title_nl, text_en, text_nl) in enumerate(CLAUSES, start=1)
    )
    version = agreement_version_publish(version=version, actor=actor)
    holdouts = set(demo_agreement_holdouts())
    hashes = {language: version.text_hash(language) for language in ("en", "nl")}
    now = timezone.now()
    rows = (
        Distributor.objects.exclude(status=DistributorStatus.TERMINATED)
        .exclude(pk__in=holdouts)
        .values_list("id", "user_id", "country")
    )
    # Written in bulk, as the rest of the demo network: logins accepted in the portal, the others
    # signed the paper agreement at enrolment, recorded by staff.
    AgreementAcceptance.objects.bulk_create(
        [
            AgreementAcceptance(
                distributor_id=pk,
                version=version,
                accepted_at=now,
                accepted_by_id=user_id if user_id else getattr(actor, "pk", None),
                channel=AcceptanceChannel.PORTAL if user_id else AcceptanceChannel.PAPER,
                language="nl" if country == "NL" else "en",
                text_hash=hashes["nl" if country == "NL" else "en"],
                note="" if user_id else "Demo: signed at enrolment",
            )  # fmt: skip
            for pk, user_id, country in rows
        ],
        batch_size=2_000,
    )
    if stdout is not None:
        stdout.write(
            f"Distributor agreement version 1 published; not accepted yet by {len(holdouts)} distributors "
            "(their payouts are held)."
        )
    return version
