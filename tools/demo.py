#!/usr/bin/env python
"""The demo: unsupervised HHCL on the synthetic target set, against its
starting model, the supervised upper bound and the stock FastReID baseline.

Four runs of tools/train_net.py, each showing its progress:

1. the stock FastReID bagtricks baseline, trained with labels on the
   synthetic *source* set (configs/Baselines/synth_bagtricks_R18.yml);
2. the starting model: the HHCL model initialised from that baseline,
   evaluated on the target set before any target training;
3. HHCL, trained on the target set without labels (configs/HHCL/synth.yml);
4. the supervised upper bound: the same HHCL run with the target's true
   identities instead of pseudo labels (``HHCL.PSEUDO.METHOD ground_truth``).

Then one table of target-set metrics and the per-epoch pseudo-label quality.

    python tools/demo.py [--output logs/demo] [--backbone resnet18|small_cnn] [--hhcl-epochs 10]
                         [--baseline-epochs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tabulate import tabulate

REPO = Path(__file__).resolve().parents[1]
METRICS = ("mAP", "Rank-1", "Rank-5", "Rank-10", "mINP")
BACKBONES = {"resnet18": ["MODEL.BACKBONE.NAME", "build_resnet_backbone", "MODEL.BACKBONE.DEPTH", "18x",
                          "MODEL.BACKBONE.FEAT_DIM", "512"],
             "small_cnn": ["MODEL.BACKBONE.NAME", "build_small_cnn_backbone", "MODEL.BACKBONE.FEAT_DIM", "256"]}


def train_net(*args: str) -> dict:
    """Run tools/train_net.py (its output goes to the console); return its
    final metrics."""
    command = [sys.executable, str(REPO / "tools/train_net.py"), *args]
    subprocess.run(command, check=True, cwd=REPO)
    output_dir = args[args.index("OUTPUT_DIR") + 1]
    return json.loads((Path(output_dir) / "final_metrics.json").read_text())


def target_metrics(final: dict) -> dict:
    return final["results"]["SyntheticTarget"]


def pseudo_label_history(output_dir: Path) -> list[dict]:
    """Per-epoch pseudo-label quality written by the pseudo-label hook."""
    return [json.loads(line) for line in (output_dir / "pseudo_labels.jsonl").read_text().splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default="logs/demo")
    parser.add_argument("--baseline-epochs", type=int, default=10)
    parser.add_argument("--hhcl-epochs", type=int, default=10)
    parser.add_argument("--backbone", choices=sorted(BACKBONES), default="resnet18")
    args = parser.parse_args()
    out = Path(args.output).resolve()
    start = time.perf_counter()

    baseline_dir, start_dir, hhcl_dir, truth_dir = (out / n for n in ("baseline", "start", "hhcl", "upper_bound"))
    epochs, backbone = args.baseline_epochs, BACKBONES[args.backbone]
    baseline = train_net("--config-file", "configs/Baselines/synth_bagtricks_R18.yml", *backbone,
                         "OUTPUT_DIR", str(baseline_dir),
                         "SOLVER.MAX_EPOCH", str(epochs), "SOLVER.STEPS", f"[{max(1, epochs * 3 // 4)}]",
                         "TEST.EVAL_PERIOD", str(epochs), "SOLVER.CHECKPOINT_PERIOD", str(epochs))
    weights = str(baseline_dir / "model_final.pth")
    hhcl_options = [*backbone, "MODEL.WEIGHTS", weights, "SOLVER.MAX_EPOCH", str(args.hhcl_epochs),
                    "SOLVER.STEPS", f"[{max(1, args.hhcl_epochs * 4 // 5)}]", "TEST.EVAL_PERIOD", str(args.hhcl_epochs),
                    "SOLVER.CHECKPOINT_PERIOD", str(args.hhcl_epochs)]
    starting = train_net("--config-file", "configs/HHCL/synth.yml", "--eval-only", *backbone, "MODEL.WEIGHTS", weights,
                         "OUTPUT_DIR", str(start_dir))
    hhcl = train_net("--config-file", "configs/HHCL/synth.yml", "OUTPUT_DIR", str(hhcl_dir), *hhcl_options)
    truth = train_net("--config-file", "configs/HHCL/synth.yml", "OUTPUT_DIR", str(truth_dir), *hhcl_options,
                      "HHCL.PSEUDO.METHOD", "ground_truth")

    rows = [
        (f"stock FastReID baseline (bagtricks, {args.backbone}, source labels, direct transfer)",
         target_metrics(baseline),
         baseline["minutes"]),
        ("starting model (HHCL model initialised from the baseline)", target_metrics(starting), starting["minutes"]),
        ("HHCL (unsupervised, target images only)", target_metrics(hhcl), hhcl["minutes"]),
        ("supervised upper bound (HHCL with target labels)", target_metrics(truth), truth["minutes"]),
    ]
    table = [[name] + [f"{metrics[m]:.2f}" for m in METRICS] + [f"{minutes:.1f}"] for name, metrics, minutes in rows]
    quality = [[r["epoch"], r["num_clusters"], r["num_outliers"], f"{r['pairwise_precision']:.3f}",
                f"{r['pairwise_recall']:.3f}", f"{r['nmi']:.3f}", f"{r['ari']:.3f}"]
               for r in pseudo_label_history(hhcl_dir)]
    print(f"\nHHCL demo on the synthetic target set (total {(time.perf_counter() - start) / 60:.1f} min)\n")
    print(tabulate(table, headers=("target set",) + METRICS + ("min",), tablefmt="pipe", disable_numparse=True))
    print("\nHHCL pseudo labels per update (quality against the hidden target identities):\n")
    print(tabulate(quality, headers=("update", "clusters", "outliers", "precision", "recall", "NMI", "ARI"),
                   tablefmt="pipe", disable_numparse=True))
    os.makedirs(out, exist_ok=True)
    (out / "demo_table.md").write_text(tabulate(table, headers=("target set",) + METRICS + ("min",), tablefmt="pipe",
                                                disable_numparse=True) + "\n")


if __name__ == "__main__":
    main()
