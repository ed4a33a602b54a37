"""Runs of one config that differ only in their seed, as one group: the
mean ± sample standard deviation (ddof=1) and the number of runs per metric.

Two runs belong to the same group when their whole ``config.yaml`` is equal
except ``SEED`` and ``OUTPUT_DIR``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
from tabulate import tabulate

from ..run_folder import read_config
from .runs import METRICS, RunSummary

#: Config keys that do not make two runs different configs.
IGNORED_KEYS = ("SEED", "OUTPUT_DIR")


@dataclass
class SeedGroup:
    """The runs of one config, in the order they were given, and their seeds."""

    runs: list[RunSummary]
    seeds: list[int]

    @property
    def first(self) -> RunSummary:
        return self.runs[0]

    @property
    def n(self) -> int:
        return len(self.runs)

    def values(self, dataset: str, metric: str) -> list[float]:
        return [float(run.results[dataset][metric]) for run in self.runs]

    def map_band(self, dataset: str) -> list[tuple[int, float, float, float]]:
        """(epoch, mean, min, max) of the mAP at every epoch all runs evaluated."""
        return _band([dict(run.evaluations.get(dataset, [])) for run in self.runs])

    def pseudo_label_band(self, key: str) -> list[tuple[int, float, float, float]]:
        """(epoch, mean, min, max) of one pseudo-label record field (``ari``,
        ``num_clusters`` …) at every update all runs recorded it."""
        return _band([{record["epoch"]: float(record[key]) for record in run.pseudo_labels if key in record}
                      for run in self.runs])


def _band(series: list[dict[int, float]]) -> list[tuple[int, float, float, float]]:
    """(epoch, mean, min, max) over the series at every epoch all of them have."""
    epochs = sorted(set.intersection(*(set(s) for s in series))) if series else []
    return [(epoch, float(np.mean(v)), float(np.min(v)), float(np.max(v)))
            for epoch in epochs for v in [[s[epoch] for s in series]]]


def config_key(cfg: dict) -> str:
    """The config without the keys that do not separate runs, as canonical JSON."""
    return json.dumps({k: v for k, v in cfg.items() if k not in IGNORED_KEYS}, sort_keys=True, default=str)


def group_by_seed(runs: list[RunSummary], configs: list[dict] | None = None) -> list[SeedGroup]:
    """Runs grouped by their config without ``SEED`` and ``OUTPUT_DIR``, groups
    in the order of their first run. ``configs`` (one per run) default to the
    runs' ``config.yaml``."""
    configs = configs if configs is not None else [read_config(run.folder) for run in runs]
    groups: dict[str, SeedGroup] = {}
    for run, cfg in zip(runs, configs, strict=True):
        group = groups.setdefault(config_key(cfg), SeedGroup([], []))
        group.runs.append(run)
        group.seeds.append(int(cfg.get("SEED", -1)))
    return list(groups.values())


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; NaN for one value)."""
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else math.nan


def format_mean_std(values: list[float], digits: int = 2) -> str:
    """``55.50`` for one value, ``55.50 ± 1.20`` for several."""
    mean, std = mean_std(values)
    return f"{mean:.{digits}f}" if len(values) == 1 else f"{mean:.{digits}f} ± {std:.{digits}f}"


def seed_table(groups: list[SeedGroup], dataset: str) -> str:
    """Markdown table, one row per group: method, backbone, init, n, each
    metric as mean ± std over the group's runs (the value alone for n = 1),
    training minutes (mean) and the best evaluation during training (the
    epochs of the runs, the mAP as mean ± std)."""
    rows = []
    for group in groups:
        for run in group.runs:
            if dataset not in run.results:
                raise ValueError(f"{run.folder} has no results on {dataset} (it has {', '.join(run.results)})")
        bests = [run.best_epoch(dataset) for run in group.runs]
        best = "–" if None in bests else \
            f"{'/'.join(str(b[0]) for b in bests)} ({format_mean_std([b[1] for b in bests])})"
        rows.append([group.first.method, group.first.backbone, group.first.init, str(group.n)]
                    + [format_mean_std(group.values(dataset, m)) for m in METRICS]
                    + [f"{np.mean([run.minutes for run in group.runs]):.1f}", best])
    headers = ("method", "backbone", "init", "n") + METRICS + ("train min", "best epoch (mAP)")
    return tabulate(rows, headers=headers, tablefmt="pipe", disable_numparse=True)
