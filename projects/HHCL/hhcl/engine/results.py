"""The final metrics table of a run."""

from __future__ import annotations

from typing import Mapping

from tabulate import tabulate

METRIC_COLUMNS = ("mAP", "Rank-1", "Rank-5", "Rank-10", "mINP")


def format_results_table(results: Mapping, title: str = "") -> str:
    """A Markdown table, one row per test dataset, of FastReID's metrics (in %).

    Accepts what ``DefaultTrainer.test`` returns: ``{dataset: {metric: value}}``,
    or a single dataset's flat ``{metric: value, "dataset": name}``.
    """
    if results and all(isinstance(v, Mapping) for v in results.values()):
        per_dataset = {name: metrics for name, metrics in results.items()}
    else:
        per_dataset = {results.get("dataset", "test"): results}
    rows = [[name] + [f"{metrics[c]:.2f}" if c in metrics else "-" for c in METRIC_COLUMNS]
            for name, metrics in per_dataset.items()]
    table = tabulate(rows, headers=("dataset",) + METRIC_COLUMNS, tablefmt="pipe", disable_numparse=True)
    return f"{title}\n{table}" if title else table
