"""Every section reference in the code resolves to a heading of docs/rules/.

The code cites the specification's rules as `<document> \u00a7<n>`: `compensation-plan \u00a77`,
`rules/compliance \u00a73`, and lists and ranges such as `compensation-plan \u00a72, \u00a78` and
`\u00a72-\u00a76`. docs/rules/<document>.md restates that document of the specification with the same
section numbers. A section sign must follow the name of its document: a bare one names nothing a
reader can open. A name that is also a document directly in docs/ (docs/compliance.md) must be
written `rules/<name>`.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SIGN = "\u00a7"  # the section sign, spelled out so that this file cites nothing itself

# The documents of the specification that docs/rules/ restates (those the code cites).
DOCUMENTS = ("compensation-plan", "plan-format", "compliance", "interfaces", "tree")
SECTION = rf"{SIGN}\d+(?:\.\d+)*"
REFERENCE = re.compile(
    rf"(?P<prefix>(?:docs/)?rules/)?\b(?P<doc>{'|'.join(DOCUMENTS)})(?:\.md)?\s+"
    rf"(?P<sections>{SECTION}(?:\s*(?:,|-|\u2013|and|or)\s*{SECTION})*)"
)
NUMBER = re.compile(rf"(?P<range>[-\u2013]\s*)?{SIGN}(?P<number>\d+(?:\.\d+)*)")
HEADING = re.compile(r"^#{2,6}\s+(\d+(?:\.\d+)*)\.?\s", re.MULTILINE)
SKIPPED_DIRECTORIES = {".venv", "node_modules", ".git", "test-artifacts", "staticfiles"}
TEMPLATE_SUFFIXES = {".html", ".txt", ".xml"}


def code_files() -> list[Path]:
    """Every Python file, and every file in a templates/ directory, of the project."""
    found = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if SKIPPED_DIRECTORIES.intersection(parts) or not path.is_file():
            continue
        if path.suffix == ".py" or ("templates" in parts and path.suffix in TEMPLATE_SUFFIXES):
            found.append(path)
    return sorted(found)


def sections_of(path: Path) -> set[str]:
    """The section numbers of a rules document's headings (`## 4. Ranks` -> "4"); none if it is missing."""
    return set(HEADING.findall(path.read_text(encoding="utf-8"))) if path.exists() else set()


def cited(sections: str) -> list[str]:
    """The section numbers a reference names; a range names every section from its first to its last."""
    numbers: list[str] = []
    for match in NUMBER.finditer(sections):
        number = match["number"]
        if match["range"] and numbers and numbers[-1].isdigit() and number.isdigit():
            numbers += [str(n) for n in range(int(numbers[-1]) + 1, int(number) + 1)]
        else:
            numbers.append(number)
    return numbers


def problems_in(text: str, where: str, docs: Path = DOCS) -> tuple[int, list[str]]:
    """(references found, what does not resolve) in the text of one file."""
    if SIGN not in text:
        return 0, []
    problems: list[str] = []
    covered: set[int] = set()
    found = 0
    for reference in REFERENCE.finditer(text):
        found += 1
        line = text.count("\n", 0, reference.start()) + 1
        covered.update(range(reference.start("sections"), reference.end("sections")))
        document, at = reference["doc"], f"{where}:{line}: '{reference[0]}'"
        if not reference["prefix"] and (docs / f"{document}.md").exists():
            problems.append(f"{at} is ambiguous beside docs/{document}.md: write rules/{document}")
        known = sections_of(docs / "rules" / f"{document}.md")
        if not known:
            problems.append(f"{at} cites docs/rules/{document}.md, which does not exist")
            continue
        for number in cited(reference["sections"]):
            if number not in known:
                problems.append(f"{at}: docs/rules/{document}.md has no section {number}")
    for offset, character in enumerate(text):
        if character == SIGN and offset not in covered:
            line = text.count("\n", 0, offset) + 1
            problems.append(f"{where}:{line}: a section sign without the name of its document")
    return found, problems


def test_every_section_reference_in_the_code_resolves_to_a_heading_of_docs_rules():
    found, problems = 0, []
    for path in code_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        count, wrong = problems_in(text, str(path.relative_to(ROOT)))
        found += count
        problems += wrong
    assert not problems, "\n".join(problems)
    assert found > 40  # the code does cite the rules: a pattern that finds nothing checks nothing


def test_each_rules_document_names_the_specification_it_restates_and_that_the_specification_wins():
    documents = sorted((DOCS / "rules").glob("*.md"))
    assert documents
    for path in documents:
        opening = path.read_text(encoding="utf-8").split("\n\n")[1]
        assert f"`{path.name}`" in opening and "authoritative" in opening, path.name


def test_the_check_finds_bare_ambiguous_missing_and_unknown_references(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "compensation-plan.md").write_text("# Plan\n\n## 1. A\n## 2. B\n## 4. D\n## 8. H\n")
    (tmp_path / "rules" / "compliance.md").write_text("# Rules\n\n## 2. Two\n## 3. Three\n")
    (tmp_path / "compliance.md").write_text("# Another document of that name\n")
    text = (
        f'"""compensation-plan {SIGN}2-{SIGN}4, {SIGN}8 and rules/compliance {SIGN}3."""\n'
        f"# bare {SIGN}5; compliance {SIGN}2; compensation-plan.md {SIGN}12; tree {SIGN}1\n"
    )
    found, problems = problems_in(text, "sample.py", docs=tmp_path)
    assert found == 5
    assert problems == [
        f"sample.py:1: 'compensation-plan {SIGN}2-{SIGN}4, {SIGN}8': "
        "docs/rules/compensation-plan.md has no section 3",
        f"sample.py:2: 'compliance {SIGN}2' is ambiguous beside docs/compliance.md: write rules/compliance",
        f"sample.py:2: 'compensation-plan.md {SIGN}12': docs/rules/compensation-plan.md has no section 12",
        f"sample.py:2: 'tree {SIGN}1' cites docs/rules/tree.md, which does not exist",
        "sample.py:2: a section sign without the name of its document",
    ]
