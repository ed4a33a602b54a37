"""Shared fixtures: a temporary datasets root and tiny synthetic specs."""

from __future__ import annotations

from pathlib import Path

import pytest

import hhcl  # noqa: F401  (patches FastReID before any test imports it)

from .helpers import TINY_SPEC


@pytest.fixture
def datasets_root(tmp_path, monkeypatch) -> Path:
    """An empty datasets root that FastReID's loaders use (``FASTREID_DATASETS``
    is read once at import, so the module's value is patched too)."""
    from fastreid.data import build

    root = tmp_path / "datasets"
    root.mkdir()
    monkeypatch.setattr(build, "_root", str(root))
    monkeypatch.setenv("FASTREID_DATASETS", str(root))
    return root


@pytest.fixture
def tiny_synthetic(datasets_root, monkeypatch) -> Path:
    """Both synthetic classes default to a tiny spec under ``datasets_root``."""
    from hhcl.data import SyntheticSource, SyntheticTarget

    monkeypatch.setattr(SyntheticSource, "default_spec", TINY_SPEC)
    monkeypatch.setattr(SyntheticTarget, "default_spec", TINY_SPEC)
    return datasets_root

