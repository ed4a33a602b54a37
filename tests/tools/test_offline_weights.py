"""tools/train_net.py with MODEL.BACKBONE.PRETRAIN True and no way to get
the ImageNet weights (docs/COMPAT.md, row 21): one clear error within
seconds, exit status 1. FASTREID_OFFLINE=1 keeps the run off the network."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from ..helpers import REPO, SYNTH_CONFIG, TINY_RUN


def test_train_net_stops_at_once_naming_the_weights(tmp_path):
    env = {**os.environ, "FASTREID_DATASETS": str(tmp_path / "datasets"), "TORCH_HOME": str(tmp_path / "torch"),
           "FASTREID_OFFLINE": "1"}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(REPO / "tools/train_net.py"), "--config-file", str(SYNTH_CONFIG),
                             *TINY_RUN, "MODEL.BACKBONE.NAME", "build_resnet_backbone", "MODEL.BACKBONE.DEPTH", "18x",
                             "MODEL.BACKBONE.FEAT_DIM", "512", "MODEL.BACKBONE.PRETRAIN", "True",
                             "OUTPUT_DIR", str(tmp_path / "out")],
                            capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    elapsed = time.perf_counter() - start
    assert result.returncode == 1, result.stderr[-3000:]
    assert elapsed < 60, elapsed  # imports and the tiny data set; no download attempt, no retries
    stderr = result.stderr
    assert stderr.count("Traceback") == 1 and "During handling" not in stderr  # one error, not a chain
    message = stderr[stderr.index("PretrainedWeightsNotFoundError: "):]
    folder = tmp_path / "torch" / "checkpoints"
    for expected in ("FASTREID_OFFLINE=1: no download attempted",
                     f"file looked for:  {folder / 'resnet18-5c106cde.pth'}",
                     f"cache folder:     {folder}",
                     "URL:              https://download.pytorch.org/models/resnet18-5c106cde.pth",
                     "MODEL.BACKBONE.PRETRAIN_PATH /path/to/resnet18-5c106cde.pth"):
        assert expected in message, expected
