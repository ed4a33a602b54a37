"""Shared fixtures: a temporary datasets root and tiny synthetic specs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import hhcl  # noqa: F401  (patches FastReID before any test imports it)
from hhcl.data.synthetic import SyntheticSpec

REPO = Path(__file__).resolve().parents[1]
TINY_SPEC = SyntheticSpec(num_train_ids=8, num_test_ids=6, num_cameras=3, images_per_camera=2,
                          difficulty=0.5, image_size=(64, 32), seed=5)


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


def run_python(code: str, env: dict | None = None, cwd: Path = REPO, timeout: int = 300):
    """Run ``python -c code`` in a fresh interpreter; return the CompletedProcess."""
    import subprocess

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=timeout)
