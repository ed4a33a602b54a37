"""PNG plots of several runs: pseudo-label quality per update (the mAP plot is in seeds.py)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)

from .runs import RunSummary  # noqa: E402


def _label(run: RunSummary) -> str:
    return f"{run.method}, {run.backbone}, {run.init}"


def _style(index: int, run: RunSummary) -> dict:
    """A colour of its own per run (up to 20), dashed when not from scratch."""
    return {"color": plt.cm.tab20(index % 20), "linestyle": "-" if run.init == "scratch" else "--",
            "label": _label(run)}


def plot_pseudo_labels(runs: list[RunSummary], path: str | Path) -> Path:
    """Pairwise precision, ARI and number of clusters of every pseudo-label
    update of the runs that have them (no quality points for a run whose
    train images have no true identities)."""
    figure, axes = plt.subplots(1, 3, figsize=(18, 4.5))
    for index, run in enumerate(runs):
        if not run.pseudo_labels:
            continue
        epochs = [record["epoch"] for record in run.pseudo_labels]
        for ax, key in zip(axes, ("pairwise_precision", "ari", "num_clusters")):
            ax.plot(epochs, [record.get(key, float("nan")) for record in run.pseudo_labels], **_style(index, run))
    for ax, title in zip(axes, ("pairwise precision", "ARI", "clusters")):
        ax.set(xlabel="epoch", title=title)
        ax.grid(alpha=0.3)
    axes[-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)
