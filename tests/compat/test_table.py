"""The table of hhcl.compat: numbered rows, each with its test, and
docs/COMPAT.md listing them all."""

from __future__ import annotations

import importlib

import pytest

from hhcl.compat import ROWS
from hhcl.compat.patching import resolve

from ..helpers import REPO


def test_rows_are_numbered_from_1():
    assert [row.number for row in ROWS] == list(range(1, len(ROWS) + 1))


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"row{row.number}")
def test_each_row_is_patched_overridden_or_recorded(row):
    if row.patches:
        assert row.override is None and row.test
    elif row.override:
        assert row.fix.startswith("override in ") and row.test
        owner, method = row.override.rsplit(".", 1)
        assert method in vars(resolve(owner)), f"{owner} does not override {method}"
    else:
        assert row.fix.startswith("none: recorded only") and row.test is None


@pytest.mark.parametrize("row", [row for row in ROWS if row.test], ids=lambda row: f"row{row.number}")
def test_each_row_names_an_existing_test(row):
    path, function = row.test.split("::")
    assert (REPO / path).is_file()
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    assert callable(getattr(module, function, None)), f"row {row.number}: no test {row.test}"


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"row{row.number}")
def test_docs_list_each_row_with_its_test_and_fix(row):
    lines = [line for line in (REPO / "docs" / "COMPAT.md").read_text().splitlines()
             if line.startswith(f"| {row.number} |")]
    assert lines, f"docs/COMPAT.md has no line for row {row.number}"
    text = "\n".join(lines)
    if row.test:
        assert f"`{row.test}`" in text
    if row.override:
        assert f"`{row.override}`" in text
    for patch in row.patches:
        assert f"`{patch.owner}` | `{patch.name}`" in text
        assert f"`{patch.make.__module__.removeprefix('hhcl.compat.')}:{patch.make.__name__}`" in text
