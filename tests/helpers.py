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


def person_crop(identity: int, variant: int, size: tuple[int, int] = (64, 32)):
    """A PIL image of a toy pedestrian: shirt and trousers coloured by
    ``identity`` (well apart for up to 8 ids), pose, light and noise by ``variant``."""
    import colorsys

    from PIL import Image, ImageDraw

    rng = np.random.default_rng(1000 * identity + variant)
    height, width = size

    def colour(hue: float) -> tuple[int, int, int]:
        light = 0.45 + 0.1 * rng.random()
        return tuple(int(255 * c) for c in colorsys.hsv_to_rgb(hue % 1.0, 0.85, light * 1.6))

    image = Image.fromarray(rng.integers(90, 140, (height, width, 3), dtype=np.uint8))
    draw = ImageDraw.Draw(image)
    x, y = int(rng.integers(0, width // 6 + 1)), int(rng.integers(0, height // 10 + 1))
    body_w, body_h = width - width // 3, height - height // 5
    draw.ellipse([x + body_w // 3, y, x + 2 * body_w // 3, y + body_h // 6], fill=(230, 190, 160))
    draw.rectangle([x, y + body_h // 6, x + body_w, y + body_h // 2], fill=colour(identity / 8))
    trousers = colour(identity * 3 / 8 + 0.06)
    draw.rectangle([x + body_w // 8, y + body_h // 2, x + 7 * body_w // 8, y + body_h], fill=trousers)
    return image


def write_crop(path: Path, identity: int, variant: int, size: tuple[int, int] = (64, 32)) -> Path:
    """Save :func:`person_crop` at ``path`` (folders created; format from the extension)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    person_crop(identity, variant, size).save(path)
    return path


SYNTH_CONFIG = REPO / "configs" / "HHCL" / "synth.yml"


def tiny_model(weights_seed: int = 11, opts: tuple[str, ...] = ()):
    """(cfg, model): configs/HHCL/synth.yml (the plugin's small CNN) with
    TINY_RUN and ``opts``, and an eval-mode model randomly initialised with
    SEED ``weights_seed``, not the config's SEED: a tool that builds the
    model from the config without loading its weights gets other features."""
    import argparse

    from hhcl.engine import setup_cfg, trainer_class

    cfg = setup_cfg(argparse.Namespace(config_file=str(SYNTH_CONFIG), opts=[*TINY_RUN, *opts]), for_run=False)
    seeded = cfg.clone()
    seeded.defrost()
    seeded.SEED = weights_seed
    return cfg, trainer_class(seeded).build_model(seeded).eval()


def write_run_folder(folder: Path, cfg, model) -> Path:
    """A run folder as tools/train_net.py leaves it, as far as the tools
    read it: config.yaml and model_final.pth."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(cfg.dump())
    torch.save({"model": model.state_dict()}, folder / "model_final.pth")
    return folder


def write_images(folder: Path, names: list[str], size: tuple[int, int] = (40, 20), seed: int = 0) -> list[Path]:
    """Random RGB images at ``folder/name`` (sub-folders created; format from the extension)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    paths = []
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def run_tool(name: str, *args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """``python tools/<name> args`` as a user runs it, from the repository root."""
    return subprocess.run([sys.executable, str(REPO / "tools" / name), *args], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **(env or {})}, timeout=timeout)


def final_table(stdout: str) -> dict[str, dict[str, float]]:
    """The rows of the 'Final metrics' table: {dataset: {metric: value}} for
    the last evaluation, {"dataset best mAP (epoch N)": ...} for the best."""
    lines = stdout[stdout.index("Final metrics"):].splitlines()[1:]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    metrics_from = header.index("mAP")
    rows = {}
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        label = cells[1] if metrics_from == 2 else "last"
        name = cells[0] if label.startswith("last") else f"{cells[0]} {label}"
        rows[name] = {h: float(v) for h, v in zip(header[metrics_from:], cells[metrics_from:])}
    return rows
