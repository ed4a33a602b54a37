"""Every document the code cites is in the repository, with the section cited."""

from __future__ import annotations

import re

from .helpers import REPO

CODE = [path for folder in ("projects", "tools", "benchmarks") for path in (REPO / folder).rglob("*.py")]
CITATION = re.compile(r"((?:docs/)?[A-Z][A-Z_]+\.md)(?:,\s*\"([^\"]+)\")?")


def citations() -> list[tuple[str, str, str | None]]:
    found = []
    for path in CODE:
        for match in CITATION.finditer(path.read_text()):
            found.append((str(path.relative_to(REPO)), match.group(1), match.group(2)))
    return found


def test_the_code_cites_documents():
    cited = {document for _, document, _ in citations()}
    assert {"docs/DESIGN.md", "docs/COMPAT.md"} <= cited


def test_every_cited_document_and_section_exists():
    missing = []
    for source, document, section in citations():
        path = REPO / document if (REPO / document).exists() else REPO / "docs" / document
        if not path.exists():
            missing.append(f"{source} cites {document}")
        elif section and not re.search(rf"^#+ {re.escape(section)}\s*$", path.read_text(), re.MULTILINE):
            missing.append(f"{source} cites section {section!r} of {document}")
    assert missing == []
