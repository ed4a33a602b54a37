"""A config value the run cannot use stops the real ``tools/train_net.py``
with status 1 and a message naming the key, its value and the allowed range,
before the output folder, the logs, the datasets or the model exist."""

from __future__ import annotations

import pytest

from ..helpers import REPO, TINY_RUN, run_tool

CASES = {
    "batch straddles identities": (
        ("SOLVER.IMS_PER_BATCH", "10", "DATALOADER.NUM_INSTANCE", "4"),
        "SOLVER.IMS_PER_BATCH is 10; with DATALOADER.SAMPLER_TRAIN RandomMultipleGallerySampler it must be a "
        "positive multiple of DATALOADER.NUM_INSTANCE (4)"),
    "DBSCAN eps 0": (
        ("PSEUDO_LABELS.EPS", "0.0"),
        "PSEUDO_LABELS.EPS is 0.0; must be in (0, 1)"),
}


@pytest.mark.parametrize("overrides, message", CASES.values(), ids=CASES.keys())
def test_train_net_stops_before_building_anything(overrides, message, tmp_path):
    output, datasets = tmp_path / "run", tmp_path / "datasets"
    result = run_tool("train_net.py", "--config-file", str(REPO / "configs/HHCL/synth.yml"), *TINY_RUN, *overrides,
                      "OUTPUT_DIR", str(output), env={"FASTREID_DATASETS": str(datasets)}, timeout=120)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "ConfigValueError: 1 invalid config value" in result.stderr and message in result.stderr
    assert not output.exists()            # default_setup (output folder, log.txt, config.yaml) never ran
    assert not datasets.exists()          # the synthetic dataset was never generated
    assert "Rank of current process" not in result.stdout + result.stderr
