#!/usr/bin/env python
"""The demo: unsupervised HHCL on the synthetic target set, from scratch and
from the source-trained baseline, against the starting models, the supervised
upper bounds and the stock FastReID baseline.

Seven runs of tools/train_net.py, each showing its progress:

1. the stock FastReID bagtricks baseline, trained with labels on the
   synthetic *source* set (configs/Baselines/synth_bagtricks_SmallCNN.yml)
   and evaluated on the target set (direct transfer);
2. for each initialisation — random ("scratch", seeded) and the baseline's
   weights — the starting model evaluated on the target set, HHCL trained on
   the target images without labels (configs/HHCL/synth.yml), and the
   supervised upper bound: the same run with the target's true identities
   instead of pseudo labels (``PSEUDO_LABELS.METHOD ground_truth``).

Then one table of target-set metrics and the pseudo-label quality of every
HHCL epoch, also written to OUTPUT/demo.md.

    python tools/demo.py [--output logs/demo] [--hhcl-epochs N] [--baseline-epochs N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from hhcl.reports import METRICS, load_run
from launch_runs import train_net
from tabulate import tabulate

BASELINE_CONFIG = "configs/Baselines/synth_bagtricks_SmallCNN.yml"
HHCL_CONFIG = "configs/HHCL/synth.yml"
TARGET = "SyntheticTarget"


def epoch_options(epochs: int | None, step_fraction: float) -> list[str]:
    """Overrides for a run of ``epochs`` epochs (none: the config's), with the
    LR step at ``step_fraction`` of the run and one evaluation at the end."""
    if epochs is None:
        return []
    return ["SOLVER.MAX_EPOCH", str(epochs), "SOLVER.STEPS", f"[{max(1, int(epochs * step_fraction))}]",
            "TEST.EVAL_PERIOD", str(epochs), "SOLVER.CHECKPOINT_PERIOD", str(epochs)]


def target_map(final: dict) -> float:
    return final["results"][TARGET]["mAP"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default="logs/demo", help="folder of the runs and of demo.md")
    parser.add_argument("--baseline-epochs", type=int, default=None, help="default: the baseline config's")
    parser.add_argument("--hhcl-epochs", type=int, default=None, help="default: configs/HHCL/synth.yml's")
    args = parser.parse_args()
    out = Path(args.output).resolve()
    start = time.perf_counter()

    baseline = train_net(BASELINE_CONFIG, out / "baseline", *epoch_options(args.baseline_epochs, 0.75))
    rows = [("stock FastReID baseline (bagtricks, source labels)", "direct transfer", baseline)]
    gains, histories = [], {}
    for init, weights in (("scratch", ""), ("baseline", str(out / "baseline" / "model_final.pth"))):
        runs = out / f"from_{init}"
        hhcl_options = ["MODEL.WEIGHTS", weights, *epoch_options(args.hhcl_epochs, 0.8)]
        start_model = train_net(HHCL_CONFIG, runs / "start", "--eval-only", "MODEL.WEIGHTS", weights)
        hhcl = train_net(HHCL_CONFIG, runs / "hhcl", *hhcl_options)
        bound = train_net(HHCL_CONFIG, runs / "upper_bound", *hhcl_options, "PSEUDO_LABELS.METHOD", "ground_truth")
        rows += [("starting model", init, start_model), ("HHCL (unsupervised, target images only)", init, hhcl),
                 ("supervised upper bound (target labels)", init, bound)]
        gains.append(f"HHCL from {init}: {target_map(hhcl):.2f} mAP, "
                     f"{target_map(hhcl) - target_map(start_model):+.2f} over its starting model")
        histories[init] = load_run(runs / "hhcl").pseudo_labels

    metrics_table = tabulate(
        [[name, init] + [f"{final['results'][TARGET][m]:.2f}" for m in METRICS] + [f"{final['minutes']:.1f}"]
         for name, init, final in rows],
        headers=("model", "init") + METRICS + ("min",), tablefmt="pipe", disable_numparse=True)
    quality_table = tabulate(
        [[scratch["epoch"]] + [f"{r[k]:.3f}" if isinstance(r[k], float) else r[k]
                               for r in (scratch, warm) for k in ("num_clusters", "pairwise_precision", "ari")]
         for scratch, warm in zip(histories["scratch"], histories["baseline"])],
        headers=("epoch", "clusters (scratch)", "precision (scratch)", "ARI (scratch)",
                 "clusters (baseline)", "precision (baseline)", "ARI (baseline)"),
        tablefmt="pipe", disable_numparse=True)
    report = (f"HHCL demo on the synthetic target set (total {(time.perf_counter() - start) / 60:.1f} min)\n\n"
              f"{metrics_table}\n\n" + "\n".join(gains) + "\n\n"
              "Pseudo labels before each HHCL epoch (quality against the hidden target identities):\n\n"
              f"{quality_table}\n")
    print("\n" + report)
    out.mkdir(parents=True, exist_ok=True)
    (out / "demo.md").write_text(report)


if __name__ == "__main__":
    main()
