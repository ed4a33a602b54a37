"""Runs of one config that differ only in their seed, as one group: the
mean ± sample standard deviation (ddof=1) and the number of runs per metric.

Two runs belong to the same group when their whole ``config.yaml`` is equal
except ``SEED`` and ``OUTPUT_DIR``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)
import numpy as np  # noqa: E402
from tabulate import tabulate  # noqa: E402

from ..run_folder import read_config  # noqa: E402
from .runs import METRICS, RunSummary  # noqa: E402

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
        series = [dict(run.evaluations.get(dataset, [])) for run in self.runs]
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


def plot_map_groups(groups: list[SeedGroup], dataset: str, path: str | Path) -> Path:
    """Mean mAP on ``dataset`` of every group at each evaluation, with a
    shaded band from the minimum to the maximum over the group's seeds."""
    figure, axes = plt.subplots(figsize=(11, 5))
    for index, group in enumerate(groups):
        band = group.map_band(dataset)
        if not band:
            continue
        epochs, means, lows, highs = zip(*band)
        run = group.first
        colour = plt.cm.tab20(index % 20)
        axes.plot(epochs, means, marker="o", color=colour, linestyle="-" if run.init == "scratch" else "--",
                  label=f"{run.method}, {run.backbone}, {run.init} (n={group.n})")
        if group.n > 1:
            axes.fill_between(epochs, lows, highs, color=colour, alpha=0.2, linewidth=0)
    axes.set(xlabel="epoch", ylabel="mAP (%)", title=f"mAP on {dataset}: mean over seeds, band min–max")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)
