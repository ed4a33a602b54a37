#!/usr/bin/env python
"""Train and evaluate FastReID configs with the HHCL plugin.

    python tools/train_net.py --config-file configs/Baselines/synth_bagtricks_R18.yml
    python tools/train_net.py --config-file CONFIG --eval-only MODEL.WEIGHTS model_final.pth
    python tools/train_net.py --config-file CONFIG --resume
    python tools/train_net.py --config-file CONFIG --num-gpus 2

SIGTERM or SIGINT (a scheduler's preemption, Ctrl-C) stops training after
the current step with a checkpoint, prints the command that goes on from it
and exits with status 0.
"""

import shlex
import sys
import time

import hhcl  # noqa: F401  (patches FastReID, registers the plugin's parts)
from fastreid.engine import default_argument_parser, launch
from fastreid.utils import comm
from hhcl.compat import stop_background_loaders
from hhcl.engine import MemoryCheckpointer, format_results_table, per_dataset, setup_cfg, trainer_class
from hhcl.run_folder import write_final_metrics


def main(args):
    try:
        return train_or_evaluate(args)
    finally:  # a loader thread still running at exit can abort the process (docs/COMPAT.md, row 13)
        stop_background_loaders()


def train_or_evaluate(args):
    cfg = setup_cfg(args)
    trainer_cls = trainer_class(cfg)
    start = time.perf_counter()
    best = last_epoch = None
    if args.eval_only:
        cfg.defrost()
        cfg.MODEL.BACKBONE.PRETRAIN = False
        model = trainer_cls.build_model(cfg)
        # a memory of any size loads; a MODEL.WEIGHTS that does not exist is named
        MemoryCheckpointer(model).resume_or_load(cfg.MODEL.WEIGHTS, resume=False)
        results = trainer_cls.test(cfg, model)
    else:
        trainer = trainer_cls(cfg)
        trainer.resume_or_load(resume=args.resume)
        results = trainer.train()
        if trainer.stopped_by is not None:  # SIGTERM/SIGINT: checkpointed, to be resumed
            if comm.is_main_process():
                print(f"\nStopped by {trainer.stopped_by}; go on with:\n  {resume_command()}", flush=True)
            return None
        last_epoch, best = cfg.SOLVER.MAX_EPOCH, (trainer.best_evaluation.epoch, trainer.best_evaluation.results)
    if comm.is_main_process():
        results = per_dataset(results, cfg.DATASETS.TESTS[0])  # FastReID flattens a single test set's results
        minutes = (time.perf_counter() - start) / 60
        write_final_metrics(cfg.OUTPUT_DIR, results, minutes, best=best)
        print(format_results_table(results, f"\nFinal metrics (%), {cfg.OUTPUT_DIR}, {minutes:.1f} min:",
                                   last_epoch=last_epoch, best=best), flush=True)
    return results


def resume_command() -> str:
    """This run's command line with ``--resume``."""
    arguments = sys.argv[1:] if "--resume" in sys.argv else ["--resume", *sys.argv[1:]]
    return shlex.join(["python", sys.argv[0], *arguments])


if __name__ == "__main__":
    args = default_argument_parser().parse_args()
    launch(main, args.num_gpus, num_machines=args.num_machines, machine_rank=args.machine_rank,
           dist_url=args.dist_url, args=(args,))
