"""The final metrics table of a run."""

from __future__ import annotations

from typing import Mapping

from tabulate import tabulate

from .best_evaluation import per_dataset

METRIC_COLUMNS = ("mAP", "Rank-1", "Rank-5", "Rank-10", "mINP")


def _cells(metrics: Mapping[str, float]) -> list[str]:
    return [f"{metrics[c]:.2f}" if c in metrics else "-" for c in METRIC_COLUMNS]


def format_results_table(results: Mapping, title: str = "", last_epoch: int | None = None,
                         best: tuple[int, Mapping] | None = None) -> str:
    """A Markdown table, one row per test dataset, of FastReID's metrics (in %).

    Accepts what ``DefaultTrainer.test`` returns: ``{dataset: {metric: value}}``,
    or a single dataset's flat ``{metric: value, "dataset": name}``. With
    ``last_epoch`` (a training run) the rows are labelled ``last (epoch N)``,
    and ``best`` = (epoch, results) of the best-mAP evaluation adds rows
    labelled ``best mAP (epoch M)``.
    """
    last = per_dataset(results)
    if last_epoch is None:
        rows = [[name] + _cells(metrics) for name, metrics in last.items()]
        headers = ("dataset",) + METRIC_COLUMNS
    else:
        rows = [[name, f"last (epoch {last_epoch})"] + _cells(metrics) for name, metrics in last.items()]
        if best is not None and best[1]:
            epoch, best_results = best
            rows += [[name, f"best mAP (epoch {epoch})"] + _cells(metrics)
                     for name, metrics in per_dataset(best_results).items()]
        headers = ("dataset", "evaluation") + METRIC_COLUMNS
    table = tabulate(rows, headers=headers, tablefmt="pipe", disable_numparse=True)
    return f"{title}\n{table}" if title else table
