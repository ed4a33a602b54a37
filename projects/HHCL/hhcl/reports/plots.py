"""PNG plots of groups of runs (the seeds of one config): mAP per evaluation
and pseudo-label quality per update, each the mean over the seeds with a
shaded band from the minimum to the maximum."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)

from .seeds import SeedGroup  # noqa: E402

#: (record field, title, y scale); clusters on a log scale, as HCT starts from one per image.
PSEUDO_LABEL_PANELS = (("pairwise_precision", "pairwise precision", "linear"), ("ari", "ARI", "linear"),
                       ("num_clusters", "clusters", "log"))


def _draw_band(axes: plt.Axes, index: int, group: SeedGroup, band: list[tuple[int, float, float, float]],
               **line: object) -> None:
    """The group's mean line (its own colour, dashed when not from scratch,
    labelled with n) and, for several seeds, the min–max band."""
    if not band:
        return
    epochs, means, lows, highs = zip(*band)
    run, colour = group.first, plt.cm.tab20(index % 20)
    axes.plot(epochs, means, color=colour, linestyle="-" if run.init == "scratch" else "--",
              label=f"{run.method}, {run.backbone}, {run.init} (n={group.n})", **line)
    if group.n > 1:
        axes.fill_between(epochs, lows, highs, color=colour, alpha=0.2, linewidth=0)


def _save(figure: plt.Figure, legend_axes: plt.Axes, path: str | Path) -> Path:
    legend_axes.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def plot_map_groups(groups: list[SeedGroup], dataset: str, path: str | Path) -> Path:
    """Mean mAP on ``dataset`` of every group at each evaluation, band min–max over its seeds."""
    figure, axes = plt.subplots(figsize=(11, 5))
    for index, group in enumerate(groups):
        _draw_band(axes, index, group, group.map_band(dataset), marker="o")
    axes.set(xlabel="epoch", ylabel="mAP (%)", title=f"mAP on {dataset}: mean over seeds, band min–max")
    axes.grid(alpha=0.3)
    return _save(figure, axes, path)


def plot_pseudo_labels(groups: list[SeedGroup], path: str | Path) -> Path:
    """Pairwise precision, ARI and number of clusters of every pseudo-label
    update, mean over each group's seeds with the min–max band (no quality
    line for runs whose train images have no true identities)."""
    figure, axes = plt.subplots(1, 3, figsize=(18, 4.5))
    for ax, (key, title, scale) in zip(axes, PSEUDO_LABEL_PANELS):
        for index, group in enumerate(groups):
            _draw_band(ax, index, group, group.pseudo_label_band(key))
        ax.set(xlabel="epoch", title=f"{title} (mean over seeds, band min–max)", yscale=scale)
        ax.grid(alpha=0.3)
    return _save(figure, axes[-1], path)
