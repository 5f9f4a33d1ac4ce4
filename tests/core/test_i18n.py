"""The Dutch translation: the language a request asks for is the language it is answered in, and
the nl catalogue is complete (every entry translated, nothing fuzzy) and compiled."""

from __future__ import annotations

import ast
import gettext
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db.models import CompositePrimaryKey
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from core.errors import ApplicationError
from core.models import AuditEntry
from orders.models import OrderStatus, Product
from orders.services import product_validate

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "nl" / "LC_MESSAGES"


def test_model_names_and_choice_labels_are_dutch():
    with translation.override("nl"):
        assert str(AuditEntry._meta.verbose_name_plural) == "auditregels"
        assert OrderStatus.PARTLY_RETURNED.label == "Gedeeltelijk geretourneerd"
    assert OrderStatus.PARTLY_RETURNED.label == "Partly returned"


# --- every model, field and choice is named in Dutch -------------------------------------------

PROJECT_APPS = ["core", "distributors", "plans", "orders", "commissions", "compliance"]

# Labels that are rightly the same in Dutch, each for a reason; every other label must change.
SAME_IN_DUTCH = {
    "API": "the same abbreviation in Dutch",
    "status": "the Dutch word is the same",
    "product": "the Dutch word is the same",
    "Open": "the Dutch word is the same",
    "order": "Dutch business usage (the catalogue's 'orders', 'Orders en demonstraties')",
    "orders": "Dutch business usage, as above",
    "sponsor": "the term Dutch direct-selling companies use",
    "frontline": "the term Dutch direct-selling companies use (the catalogue's 'Actieve frontline')",
    "Override": "a term of the compensation plan, kept in Dutch like 'breakage' and 'frontline'",
    "Unilevel": "the name of a plan type",
    "SKU": "the article code, an abbreviation used in Dutch too",
    "IBAN": "the international account number, the same abbreviation in Dutch",
    "BIC": "the bank's identifier code, the same abbreviation in Dutch",
}


def _labelled_models() -> list:
    """Every model of the project apps, and every model the admin shows whose app ships a Dutch
    catalogue (auth: Django's own); the others (Celery beat, axes, the token blacklist) have none."""
    models = [model for label in PROJECT_APPS for model in apps.get_app_config(label).get_models()]
    for model in admin.site._registry:
        app_path = Path(apps.get_app_config(model._meta.app_label).path)
        if model not in models and (app_path / "locale" / "nl" / "LC_MESSAGES" / "django.mo").exists():
            models.append(model)
    return models


def _labels(model) -> list[tuple[str, object]]:
    """(where, label) of a model's names, each field's name and each choice of a field."""
    opts = model._meta
    labels = [
        (f"{opts.label} verbose_name", opts.original_attrs.get("verbose_name")),
        (f"{opts.label} verbose_name_plural", opts.original_attrs.get("verbose_name_plural")),
    ]
    for field in opts.get_fields():
        if field.auto_created or isinstance(field, CompositePrimaryKey):
            # Reverse relations, the implicit primary key Django names "ID", a composite key (no form).
            continue
        labels.append((f"{opts.label}.{field.name}", field.verbose_name))
        for value, label in field.flatchoices if getattr(field, "choices", None) else []:
            labels.append((f"{opts.label}.{field.name}={value}", label))
    return labels


def _dutch_problem(label: object, catalogue: set[str], project: bool = True) -> str | None:
    """Why `label` is not a Dutch name: not marked for translation, or still the English text."""
    if not isinstance(label, Promise):
        return "not marked for translation"
    with translation.override("en"):
        english = str(label)
    with translation.override("nl"):
        dutch = str(label)
    # A word that is the same in Dutch must still be in the catalogue (third-party: in theirs).
    same_on_purpose = english in SAME_IN_DUTCH and (english in catalogue or not project)
    if dutch == english and not same_on_purpose:
        return "not translated"
    return None


def test_every_model_field_and_choice_has_a_dutch_name():
    models = _labelled_models()
    assert {"auth.User", "auth.Group", "commissions.PayoutBatch", "orders.OrderLine"} <= {
        m._meta.label for m in models
    }
    catalogue = {e["msgid"] for e in _po_entries(CATALOGUE / "django.po")}
    problems = [
        f"{where}: {label!r} {problem}"
        for model in models
        for where, label in _labels(model)
        if (problem := _dutch_problem(label, catalogue, model._meta.app_label in PROJECT_APPS))
    ]
    # Mark with gettext_lazy (verbose_name=_(...), Meta.verbose_name_plural) and translate in django.po.
    assert problems == []


def test_the_check_catches_a_name_left_in_english():
    from django.db import models
    from django.utils.translation import gettext_lazy

    catalogue = {e["msgid"] for e in _po_entries(CATALOGUE / "django.po")}
    unnamed = models.CharField(max_length=5)
    unnamed.set_attributes_from_name("colour_code")  # Django's default name: "colour code"
    assert _dutch_problem(unnamed.verbose_name, catalogue) == "not marked for translation"
    assert _dutch_problem(gettext_lazy("colour code"), catalogue) == "not translated"
    assert _dutch_problem(gettext_lazy("status"), catalogue) is None  # the same word in Dutch
    assert _dutch_problem(gettext_lazy("payout batch"), catalogue) is None


@pytest.mark.django_db
def test_the_admin_names_the_models_in_dutch(admin_client):
    dutch = {"HTTP_ACCEPT_LANGUAGE": "nl"}
    page = admin_client.get(reverse("admin:distributors_distributor_changelist"), **dutch).content.decode()
    assert "Selecteer distributeur om te wijzigen" in page
    assert "Verwijzingscode" in page or "Ingeschreven op" in page or "Distributeurs" in page
    index = admin_client.get(reverse("admin:index"), **dutch).content.decode()
    for name in ("Uitbetalingsbatches", "Afsluitruns", "Afrekeningen", "Boekingsregels", "Gastvrouwtegoeden"):
        assert name in index
    assert "Payout batchs" not in admin_client.get(reverse("admin:index")).content.decode()
    assert "Payout batches" in admin_client.get(reverse("admin:index")).content.decode()


def test_a_service_refuses_in_the_active_language():
    product = Product(
        sku="",
        name="Theepot",
        retail_price=Decimal("20"),
        wholesale_price=Decimal("15"),
        vat_rate=Decimal("0.21"),
        qv=Decimal("10"),
        cv=Decimal("8"),
    )
    with translation.override("nl"), pytest.raises(ApplicationError) as refused:
        product_validate(product)
    assert refused.value.message == "Een product heeft een SKU nodig."
    with pytest.raises(ApplicationError, match="A product needs a SKU."):
        product_validate(product)


def test_plural_messages_take_the_dutch_plural_form():
    message = "Erased the personal data of %(count)d customer(s)."
    with translation.override("nl"):
        assert translation.ngettext(message, message, 1) % {"count": 1} == (
            "De persoonsgegevens van 1 klant zijn gewist."
        )
        assert translation.ngettext(message, message, 3) % {"count": 3} == (
            "De persoonsgegevens van 3 klanten zijn gewist."
        )


@pytest.mark.django_db
def test_the_admin_answers_in_the_language_of_the_browser(admin_client):
    url = reverse("admin:compliance_compliancereport_changelist")
    dutch = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="nl-NL,nl;q=0.9,en;q=0.5").content.decode()
    # The page title (Django's own catalogue), a template string, the app name (an AppConfig).
    assert "Selecteer" in dutch
    assert "Rapport berekenen voor periode (JJJJ-MM):" in dutch
    assert "Inkomensoverzicht" in dutch
    index = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Orders en demonstraties" in index and "Commissies" in index

    english = admin_client.get(url).content.decode()
    assert "Compute the report of period (YYYY-MM):" in english


@pytest.mark.django_db
def test_the_language_cookie_chooses_the_language_of_the_staff_pages(admin_client):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    page = admin_client.get(reverse("commissions_compare")).content.decode()
    assert "<title>Twee runs van de afsluiting vergelijken" in page
    assert "Twee runs vergelijken" in page  # the template's breadcrumb


@pytest.mark.django_db
def test_api_errors_are_in_the_language_the_client_asks_for(client):
    answer = client.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="nl")
    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == "Dit endpoint of object bestaat niet."
    assert client.get("/api/v1/no-such-thing/").json()["error"]["message"] == "No such endpoint or object."


# --- the catalogue ----------------------------------------------------------------------------


def _po_entries(path: Path) -> list[dict]:
    """The entries of a .po file: flags, msgctxt, msgid, msgid_plural and msgstr / msgstr[n] (unquoted)."""
    entries: list[dict] = []
    entry: dict = {"flags": set()}
    key = None

    def finish() -> None:
        nonlocal entry
        if "msgid" in entry:
            entries.append(entry)
        entry = {"flags": set()}

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#~"):
            continue  # obsolete entries are not compiled
        if line.startswith("#,"):
            if "msgid" in entry:
                finish()
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#") or not line.strip():
            if "msgid" in entry and (not line.strip() or key is not None):
                finish()
            key = None
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
        else:
            key, _, quoted = line.partition(" ")
            if key == "msgid" and "msgid" in entry:
                finish()
            entry[key] = ast.literal_eval(quoted)
    finish()
    return entries


def test_every_entry_of_the_dutch_catalogue_is_translated_and_none_is_fuzzy():
    entries = _po_entries(CATALOGUE / "django.po")
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == ""
    assert "Language: nl\n" in header["msgstr"]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in header["msgstr"]
    assert len(messages) > 500
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert fuzzy == []
    untranslated = [
        e["msgid"]
        for e in messages
        if not all(value.strip() for key, value in e.items() if key.startswith("msgstr"))
        or ("msgid_plural" in e and not {"msgstr[0]", "msgstr[1]"} <= e.keys())
    ]
    assert untranslated == []


def test_the_compiled_catalogue_holds_what_the_po_says():
    with (CATALOGUE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for e in _po_entries(CATALOGUE / "django.po")[1:]:
        if "msgid_plural" in e:
            forms = [compiled.ngettext(e["msgid"], e["msgid_plural"], n) for n in (1, 2)]
            if forms != [e["msgstr[0]"], e["msgstr[1]"]]:
                stale.append(e["msgid"])
        elif "msgctxt" in e:
            if compiled.pgettext(e["msgctxt"], e["msgid"]) != e["msgstr"]:
                stale.append(e["msgid"])
        elif compiled.gettext(e["msgid"]) != e["msgstr"]:
            stale.append(e["msgid"])
    assert stale == [], "run `manage.py compilemessages --ignore=.venv` and commit django.mo"


# The README's command for the catalogue ("Translations"): what it would extract from the code today.
MAKEMESSAGES = ["makemessages", "-l", "nl", "--ignore=.venv", "--ignore=bench", "--ignore=tests"]
COPY_IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "staticfiles", "test-artifacts", "node_modules", "*.sqlite3", "__pycache__"
)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_every_string_of_the_code_and_templates_is_in_the_dutch_catalogue(tmp_path):
    """Every translatable string of the project (the portal, the admin, the API, e-mails) has its
    Dutch entry: makemessages over a copy of the project adds nothing to the catalogue."""
    copy = tmp_path / "project"
    shutil.copytree(settings.BASE_DIR, copy, ignore=COPY_IGNORED)
    subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=copy, env={**os.environ, "DEBUG": "1"}, check=True, capture_output=True,
    )  # fmt: skip

    def keys(path: Path) -> set[tuple[str, str]]:
        return {(e.get("msgctxt", ""), e["msgid"]) for e in _po_entries(path)[1:]}

    missing = keys(copy / "locale" / "nl" / "LC_MESSAGES" / "django.po") - keys(CATALOGUE / "django.po")
    assert sorted(missing) == []
