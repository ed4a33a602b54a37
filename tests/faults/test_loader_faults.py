"""tools/train_net.py meeting a fault, as a user runs it: an unreadable
image in each data loader (training, with and without worker processes;
evaluation; the pseudo-label feature extraction) and a MODEL.WEIGHTS that
does not exist. Each ends with exit status 1 and an error naming the file,
never a hang nor an abort (docs/COMPAT.md, row 13)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ..helpers import REPO, SYNTH_CONFIG, TINY_RUN

BASELINE = str(REPO / "configs/Baselines/synth_target_bagtricks_SmallCNN.yml")
HHCL = str(SYNTH_CONFIG)
#: Seconds a run may take once started (its config written to OUTPUT_DIR): the failures
#: come within seconds, so a run still going then hangs.
STARTED_LIMIT_S = 40
#: Seconds its interpreter may take to start (imports: 5-25 s on a busy 2-core CPU).
START_UP_LIMIT_S = 120
#: Every train image within the first epoch (the identity sampler might pass over the broken one).
EVERY_TRAIN_IMAGE = ("DATALOADER.SAMPLER_TRAIN", "TrainingSampler")


@pytest.fixture(scope="module")
def synthetic_target(tmp_path_factory) -> tuple[Path, object]:
    """The datasets root holding TINY_RUN's synthetic target set, and that dataset."""
    from hhcl.data import SyntheticTarget, synthetic_specs_from_cfg
    from hhcl.engine import setup_cfg

    root = tmp_path_factory.mktemp("faults") / "datasets"
    cfg = setup_cfg(argparse.Namespace(config_file=HHCL, opts=TINY_RUN), for_run=False)
    return root, SyntheticTarget(root=str(root), synthetic_specs=synthetic_specs_from_cfg(cfg))


def _first_train_image_outside_the_first_placeholder_batch(num_images: int) -> int:
    """The pseudo-label trainer's placeholder loader (FastReID's
    TrainingSampler, seeded with SEED) reads its first batch while the
    trainer is built: an image outside it is met first by the feature
    extraction, which reads the train images in order."""
    seed, batch = (int(TINY_RUN[TINY_RUN.index(key) + 1]) for key in ("SEED", "SOLVER.IMS_PER_BATCH"))
    first_batch = set(np.random.RandomState(seed).permutation(num_images)[:batch].tolist())
    return min(set(range(num_images)) - first_batch)


#: id: (config, command-line flags, options, what is broken: an image (split, index; None: see
#: above) or "weights", what stderr names besides the file: the loader's consumer, as its traceback shows it).
CASES = {
    "train image, 0 workers": (BASELINE, (), (*EVERY_TRAIN_IMAGE, "DATALOADER.NUM_WORKERS", "0"), ("train", 0),
                               ["UnreadableImageError", "_data_loader_iter"]),
    "train image, 2 workers": (BASELINE, (), (*EVERY_TRAIN_IMAGE, "DATALOADER.NUM_WORKERS", "2"), ("train", 0),
                               ["UnreadableImageError", "in DataLoader worker process", "_data_loader_iter"]),
    "test image, evaluation": (BASELINE, (), ("SOLVER.MAX_EPOCH", "1"), ("query", 0),
                               ["UnreadableImageError", "inference_on_dataset"]),
    "train image, HHCL feature extraction": (HHCL, (), (), ("train", None),
                                             ["UnreadableImageError", "extract_train_features"]),
    "MODEL.WEIGHTS missing, training": (HHCL, (), (), "weights", ["FileNotFoundError: MODEL.WEIGHTS"]),
    "MODEL.WEIGHTS missing, --eval-only": (BASELINE, ("--eval-only",), (), "weights",
                                           ["FileNotFoundError: MODEL.WEIGHTS"]),
}


@pytest.mark.parametrize("case", CASES)
def test_fault_exits_1_naming_the_file(case, synthetic_target, tmp_path):
    config, flags, options, broken, named = CASES[case]
    root, dataset = synthetic_target
    datasets = tmp_path / "datasets"
    shutil.copytree(root, datasets)
    if broken == "weights":
        path = tmp_path / "no_such_run" / "model_final.pth"
        options = (*options, "MODEL.WEIGHTS", str(path))
    else:
        split, index = broken
        items = getattr(dataset, split)
        if index is None:
            index = _first_train_image_outside_the_first_placeholder_batch(len(items))
        path = datasets / Path(items[index][0]).relative_to(root)
        path.write_bytes(b"")  # a zero-byte .jpg

    returncode, stderr, seconds = _train_net([*flags, "--config-file", config, *TINY_RUN, *options], tmp_path,
                                             datasets)
    assert returncode == 1, f"{case}: exit status {returncode}\n{stderr[-3000:]}"
    assert "terminate called" not in stderr
    assert str(path) in stderr, stderr[-3000:]
    for text in named:
        assert text in stderr, f"{case}: {text!r} not in stderr\n{stderr[-3000:]}"
    print(f"{case}: exit status 1, {seconds:.1f} s after the run started")


def _train_net(args: list[str], folder: Path, datasets: Path) -> tuple[int, str, float]:
    """Run tools/train_net.py (OUTPUT_DIR in ``folder``); its exit status,
    stderr and the seconds from its start (config.yaml written) to its end.
    A run over :data:`STARTED_LIMIT_S` (or :data:`START_UP_LIMIT_S` before
    starting) is killed and fails the test."""
    out = folder / "run"
    launched = time.perf_counter()
    started = None
    with open(folder / "stdout.txt", "w") as stdout, open(folder / "stderr.txt", "w") as stderr:
        process = subprocess.Popen([sys.executable, str(REPO / "tools/train_net.py"), *args, "OUTPUT_DIR", str(out)],
                                   stdout=stdout, stderr=stderr, cwd=REPO,
                                   env={**os.environ, "FASTREID_DATASETS": str(datasets)})
        try:
            while process.poll() is None:
                now = time.perf_counter()
                if started is None and (out / "config.yaml").exists():
                    started = now
                if now - (started or launched) > (STARTED_LIMIT_S if started else START_UP_LIMIT_S):
                    pytest.fail(f"still running {now - (started or launched):.0f} s after "
                                f"{'it started' if started else 'launch'} (a hang):\n"
                                f"{(folder / 'stderr.txt').read_text()[-3000:]}")
                time.sleep(0.1)
        finally:
            process.kill()
            process.wait()
    return process.returncode, (folder / "stderr.txt").read_text(), time.perf_counter() - (started or launched)
