"""A training run stopped from outside, as a cluster scheduler does: SIGTERM
or SIGINT stop it cleanly with a checkpoint at the step reached, SIGKILL
leaves the last complete checkpoint; either way ``--resume`` ends with the
metrics of a run never stopped (real ``tools/train_net.py`` processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ..helpers import REPO, TINY_RUN, final_table, run_tool

COMMAND = ["--config-file", str(REPO / "configs/HHCL/synth.yml"), *TINY_RUN,
           "SOLVER.MAX_EPOCH", "4", "TEST.EVAL_PERIOD", "4", "SOLVER.ITERS_PER_EPOCH", "6"]
ITERS_PER_EPOCH = 6


def train_net(*args: str, datasets: Path) -> subprocess.CompletedProcess:
    return run_tool("train_net.py", *args, env={"FASTREID_DATASETS": str(datasets)}, timeout=600)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> tuple[Path, dict]:
    """The synthetic datasets' folder and the final table of a run never stopped."""
    folder = tmp_path_factory.mktemp("uninterrupted")
    full = train_net(*COMMAND, "OUTPUT_DIR", str(folder / "full"), datasets=folder / "datasets")
    assert full.returncode == 0, full.stderr[-3000:]
    return folder / "datasets", final_table(full.stdout)


def stop_after_second_epoch(out: Path, datasets: Path, signum: int) -> tuple[int, str]:
    """Start a run, send ``signum`` once its second epoch's checkpoint exists
    (training goes on into the third), and return its exit status and output."""
    log = out.parent / f"{out.name}.log"
    with open(log, "w") as stdout:
        process = subprocess.Popen([sys.executable, str(REPO / "tools/train_net.py"), *COMMAND, "OUTPUT_DIR",
                                    str(out)], env={**os.environ, "FASTREID_DATASETS": str(datasets)}, cwd=REPO,
                                   stdout=stdout, stderr=subprocess.STDOUT)
        deadline = time.time() + 300
        while not (out / "model_0001.pth").exists() and process.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert process.poll() is None, log.read_text()[-3000:]
        os.kill(process.pid, signum)
        returncode = process.wait(timeout=120)
    return returncode, log.read_text()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stop_signal_checkpoints_the_step_and_resume_ends_as_if_never_stopped(uninterrupted, tmp_path, signum):
    datasets, expected = uninterrupted
    out = tmp_path / "stopped"
    returncode, output = stop_after_second_epoch(out, datasets, signum)
    name = signal.Signals(signum).name
    assert returncode == 0, output[-3000:]
    assert f"Stopped by {name}; go on with:" in output and "--resume" in output.split("go on with:")[1]
    assert not (out / "final_metrics.json").exists()
    assert (out / "last_checkpoint").read_text() == "model_interrupted.pth"
    checkpoint = torch.load(out / "model_interrupted.pth", map_location="cpu", weights_only=True)
    assert checkpoint["iteration"] > 2 * ITERS_PER_EPOCH                 # into the third epoch
    assert checkpoint["epoch"] == (checkpoint["iteration"] - 1) // ITERS_PER_EPOCH - 1
    if signum != signal.SIGTERM:
        return  # the same stop, checkpoint and resume as SIGTERM's, resumed below

    resumed = train_net("--resume", *COMMAND, "OUTPUT_DIR", str(out), datasets=datasets)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"iteration {checkpoint['iteration']}" in resumed.stdout + resumed.stderr
    assert final_table(resumed.stdout) == expected


def test_killed_run_resumes_from_its_last_complete_checkpoint(uninterrupted, tmp_path):
    """SIGKILL cannot be handled: the last complete checkpoint is used."""
    datasets, expected = uninterrupted
    out = tmp_path / "killed"
    returncode, _ = stop_after_second_epoch(out, datasets, signal.SIGKILL)
    assert returncode == -signal.SIGKILL
    assert not (out / "final_metrics.json").exists()
    tagged = (out / "last_checkpoint").read_text()
    torch.load(out / tagged, map_location="cpu", weights_only=True)      # the tagged checkpoint is whole

    resumed = train_net("--resume", *COMMAND, "OUTPUT_DIR", str(out), datasets=datasets)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert final_table(resumed.stdout) == expected
