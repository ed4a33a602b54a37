"""Helpers shared by the tests: the repository root, tiny synthetic specs and
run overrides, and running Python in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from hhcl.data.synthetic import SyntheticSpec

REPO = Path(__file__).resolve().parents[1]

#: A synthetic spec small enough for unit tests (8 train ids, 3 cameras).
TINY_SPEC = SyntheticSpec(num_train_ids=8, num_test_ids=6, num_cameras=3, images_per_camera=2,
                          difficulty=0.5, image_size=(64, 32), seed=5)

#: Overrides that make configs/HHCL/synth.yml train in seconds on a tiny target set.
TINY_RUN = [
    "DATASETS.SYNTH_TARGET.NUM_TRAIN_IDS", "16", "DATASETS.SYNTH_TARGET.NUM_TEST_IDS", "6",
    "DATASETS.SYNTH_TARGET.NUM_CAMERAS", "3", "DATASETS.SYNTH_TARGET.IMAGES_PER_CAMERA", "3",
    "DATASETS.SYNTH_TARGET.IMAGE_SIZE", "[64, 32]", "DATASETS.SYNTH_TARGET.DIFFICULTY", "0.2",
    "INPUT.SIZE_TRAIN", "[64, 32]", "INPUT.SIZE_TEST", "[64, 32]", "INPUT.PADDING.SIZE", "2",
    "SOLVER.IMS_PER_BATCH", "16", "SOLVER.ITERS_PER_EPOCH", "3", "SOLVER.MAX_EPOCH", "2",
    "SOLVER.STEPS", "[1]", "TEST.EVAL_PERIOD", "1", "SOLVER.CHECKPOINT_PERIOD", "1", "TEST.IMS_PER_BATCH", "32",
    "PSEUDO_LABELS.K1", "6", "PSEUDO_LABELS.K2", "2", "PSEUDO_LABELS.EPS", "0.8", "PSEUDO_LABELS.MIN_SAMPLES", "2",
    "SEED", "3",
]


def run_python(code: str, env: dict | None = None, cwd: Path = REPO, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run ``python -c code`` in a fresh interpreter; return the CompletedProcess."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def identities(n_ids=60, per_id=(3, 15), dim=32, noise=0.35, duplicates=40, outliers=20, seed=0,
               return_ids=False):
    """Clusters of uneven size, near-duplicate images and stray samples
    (and, with ``return_ids``, the identity of each row)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(per_id[0], per_id[1] + 1, n_ids)
    centres = rng.normal(size=(n_ids, dim))
    ids = np.repeat(np.arange(n_ids), sizes)
    x = centres[ids] + noise * rng.normal(size=(sizes.sum(), dim))
    copied = rng.choice(len(x), duplicates)
    x = np.concatenate([x, x[copied] + 1e-3 * rng.normal(size=(duplicates, dim)), rng.normal(size=(outliers, dim))])
    ids = np.concatenate([ids, ids[copied], n_ids + np.arange(outliers)])
    order = rng.permutation(len(x))
    x = (x[order] / np.linalg.norm(x[order], axis=1, keepdims=True)).astype(np.float32)
    return (x, ids[order]) if return_ids else x
