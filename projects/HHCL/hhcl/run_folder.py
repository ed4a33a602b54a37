"""The files of a run's output folder (``OUTPUT_DIR``): the one place that
writes and reads them.

==========================  =================================================
``config.yaml``             the run's config (written by FastReID's ``default_setup``)
``metrics.json``            one JSON object per write of FastReID's ``JSONWriter``
``pseudo_labels.jsonl``     one JSON object per pseudo-label update (quality, timing)
``final_metrics.json``      ``{"results": {dataset: {metric: value}}, "minutes": float}``, and
                            ``"best": {"epoch": int, "results": {...}}`` for a training run
``model_final.pth``         the model at the end of training (FastReID's checkpointer)
``model_best.pth``          the model of the best-mAP evaluation (``BestEvaluationHook``)
==========================  =================================================
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

import yaml

from .config import upgrade_config_dict

CONFIG_FILE = "config.yaml"
METRICS_FILE = "metrics.json"
PSEUDO_LABELS_FILE = "pseudo_labels.jsonl"
FINAL_METRICS_FILE = "final_metrics.json"
#: The trained models of a run, by the name the tools take (``--checkpoint final``).
MODEL_FILES = {"final": "model_final.pth", "best": "model_best.pth"}


def write_final_metrics(folder: str | os.PathLike, results: Mapping[str, Mapping[str, float]], minutes: float,
                        best: tuple[int, Mapping[str, Mapping[str, float]]] | None = None) -> None:
    """The final evaluation of a run, by test set, its duration and, for a
    training run, the best-mAP evaluation (epoch, results)."""
    record = {"results": results, "minutes": minutes}
    if best is not None and best[1]:
        record["best"] = {"epoch": best[0], "results": best[1]}
    with open(Path(folder) / FINAL_METRICS_FILE, "w") as file:
        json.dump(record, file, indent=2, default=float)


def append_pseudo_label_record(folder: str | os.PathLike, record: Mapping[str, Any]) -> None:
    """One more line of ``pseudo_labels.jsonl``."""
    with open(Path(folder) / PSEUDO_LABELS_FILE, "a") as history:
        history.write(json.dumps(record) + "\n")


def _read_json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def is_finished_run(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a run's config and final metrics."""
    folder = Path(folder)
    return (folder / CONFIG_FILE).exists() and (folder / FINAL_METRICS_FILE).exists()


def read_config(folder: str | os.PathLike) -> dict:
    """The run's config as a nested dict, renamed keys under their new names."""
    path = Path(folder) / CONFIG_FILE
    return upgrade_config_dict(yaml.safe_load(path.read_text()), source=str(path))


def read_final_metrics(folder: str | os.PathLike) -> dict:
    """``{"results": {dataset: {metric: value}}, "minutes": float}``; a clear
    error when the folder is not that of a finished run."""
    folder = Path(folder)
    for required in (folder / CONFIG_FILE, folder / FINAL_METRICS_FILE):
        if not required.exists():
            raise FileNotFoundError(f"{required} is missing: {folder} is not the OUTPUT_DIR of a finished "
                                    f"tools/train_net.py run")
    return json.loads((folder / FINAL_METRICS_FILE).read_text())


def read_metrics(folder: str | os.PathLike) -> list[dict]:
    """The lines of ``metrics.json`` (empty when absent)."""
    return _read_json_lines(Path(folder) / METRICS_FILE)


def read_pseudo_label_records(folder: str | os.PathLike) -> list[dict]:
    """The lines of ``pseudo_labels.jsonl`` (empty when absent)."""
    return _read_json_lines(Path(folder) / PSEUDO_LABELS_FILE)


def config_file(folder: str | os.PathLike) -> Path:
    """The run's ``config.yaml``; a clear error when the folder is not a run's."""
    path = Path(folder) / CONFIG_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: {folder} is not the OUTPUT_DIR of a tools/train_net.py run")
    return path


def model_file(folder: str | os.PathLike, which: str = "final") -> Path:
    """The run's ``model_final.pth`` (``which="final"``) or ``model_best.pth``
    (``"best"``); a clear error when the folder is not a run's or the file is
    missing (an unfinished run)."""
    folder = config_file(folder).parent
    if which not in MODEL_FILES:
        raise ValueError(f"Unknown checkpoint {which!r}: one of {', '.join(MODEL_FILES)}")
    path = folder / MODEL_FILES[which]
    if not path.exists():
        present = sorted(p.name for p in folder.glob("model_*.pth"))
        raise FileNotFoundError(f"{path} is missing (the run has not finished, or was evaluated only); "
                                f"checkpoints in {folder}: {', '.join(present) or 'none'}. Choose one "
                                f"with MODEL.WEIGHTS.")
    return path
