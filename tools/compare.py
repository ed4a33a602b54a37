#!/usr/bin/env python
"""Compare finished runs (or run configs first): one Markdown table and PNG plots.

    python tools/compare.py logs/synth/hhcl_SmallCNN logs/synth/hct_SmallCNN ... [--output logs/compare]
    python tools/compare.py --run configs/HHCL/synth.yml --run configs/ClusterContrast/synth.yml \\
        [--opts MODEL.WEIGHTS logs/synth/bagtricks_SmallCNN/model_final.pth] [--output logs/compare]

Runs of the same config that differ only in SEED (and OUTPUT_DIR) are one
row. Table columns: method, backbone, init, n (runs), mAP, Rank-1/5/10, mINP
(final evaluation; mean ± sample std over the seeds, the value alone for one
run), training minutes (mean) and the best evaluation during training, on
the one test set all runs share (or --dataset). Writes OUTPUT/compare.md,
OUTPUT/map.png (mean mAP per evaluation) and OUTPUT/pseudo_labels.png
(pairwise precision, ARI and clusters per pseudo-label update), each line a
row's mean with a band from the minimum to the maximum over its seeds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hhcl.reports import common_dataset, group_by_seed, load_run, plot_map_groups, plot_pseudo_labels, seed_table
from launch_runs import train_net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", help="OUTPUT_DIRs of finished tools/train_net.py runs")
    parser.add_argument("--run", action="append", default=[], metavar="CONFIG",
                        help="train this config first (into OUTPUT/runs/<config name>); repeatable")
    parser.add_argument("--opts", nargs=argparse.REMAINDER, default=[], help="KEY VALUE overrides for --run")
    parser.add_argument("--dataset", help="test set to compare on (default: the one all runs share)")
    parser.add_argument("--output", default="logs/compare")
    args = parser.parse_args()
    output = Path(args.output).resolve()
    folders = [Path(folder) for folder in args.folders]
    for config in args.run:
        run_dir = output / "runs" / f"{Path(config).parent.name}_{Path(config).stem}"
        train_net(config, run_dir, *args.opts)
        folders.append(run_dir)
    if not folders:
        parser.error("give run folders and/or --run CONFIG")

    runs = [load_run(folder) for folder in folders]
    dataset = args.dataset or common_dataset(runs)
    groups = group_by_seed(runs)
    table = seed_table(groups, dataset)
    output.mkdir(parents=True, exist_ok=True)
    (output / "compare.md").write_text(f"Results on {dataset}\n\n{table}\n")
    map_plot = plot_map_groups(groups, dataset, output / "map.png")
    quality_plot = plot_pseudo_labels(groups, output / "pseudo_labels.png")
    print(f"\nResults on {dataset}\n\n{table}\n\nWrote {output / 'compare.md'}, {map_plot} and {quality_plot}")


if __name__ == "__main__":
    main()
