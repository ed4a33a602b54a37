"""Reports: finished runs (output folders of tools/train_net.py) as tables and plots; ranked lists."""

from .plots import plot_map_groups, plot_pseudo_labels
from .ranked_lists import draw_ranked_lists, rank_gallery
from .runs import METRICS, RunSummary, common_dataset, load_run
from .seeds import SeedGroup, group_by_seed, seed_table

__all__ = ["METRICS", "RunSummary", "SeedGroup", "common_dataset", "draw_ranked_lists", "group_by_seed", "load_run",
           "plot_map_groups", "plot_pseudo_labels", "rank_gallery", "seed_table"]
