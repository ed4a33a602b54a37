"""Running tools/train_net.py from the other tools (demo, compare)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hhcl.run_folder import read_final_metrics

REPO = Path(__file__).resolve().parents[1]


def train_net(config: str, output_dir: Path, *options: str) -> dict:
    """Run tools/train_net.py with ``config`` and ``options`` into
    ``output_dir`` (its progress goes to the console); return its final
    metrics (:func:`hhcl.run_folder.read_final_metrics`)."""
    command = [sys.executable, str(REPO / "tools/train_net.py"), "--config-file", config, *options,
               "OUTPUT_DIR", str(output_dir)]
    subprocess.run(command, check=True, cwd=REPO)
    return read_final_metrics(output_dir)
