"""Reading finished runs (output folders of tools/train_net.py) into tables and plots."""

from .plots import plot_map, plot_pseudo_labels
from .runs import RunSummary, common_dataset, load_run, results_table

__all__ = ["RunSummary", "common_dataset", "load_run", "plot_map", "plot_pseudo_labels", "results_table"]
