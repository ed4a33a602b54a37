"""A trained model and its config, from a run folder or from a config file
and ``MODEL.WEIGHTS``: what the tools that use a model start from."""

from __future__ import annotations

import argparse
import os
from typing import Sequence

import torch
from fastreid.config import CfgNode

from .. import run_folder
from .checkpoint import MemoryCheckpointer
from .setup import setup_cfg
from .trainer_choice import trainer_class


def add_trained_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a tool that loads a trained model: ``--run`` or
    ``--config-file`` (with ``MODEL.WEIGHTS`` among the ``opts``), and
    ``--checkpoint``."""
    model = parser.add_mutually_exclusive_group(required=True)
    model.add_argument("--run", help="a tools/train_net.py output folder")
    model.add_argument("--config-file", help="a config; give the weights as MODEL.WEIGHTS path")
    parser.add_argument("--checkpoint", choices=list(run_folder.MODEL_FILES), default="final",
                        help="with --run: model_final.pth (default) or model_best.pth")


def load_trained_model_from_args(args: argparse.Namespace) -> tuple[CfgNode, torch.nn.Module]:
    """:func:`load_trained_model` from the options of :func:`add_trained_model_arguments`
    and the tool's ``opts``."""
    return load_trained_model(args.run, args.config_file, args.opts, args.checkpoint)


def load_trained_model(run: str | os.PathLike | None = None, config_file: str | None = None,
                       opts: Sequence[str] = (), checkpoint: str = "final") -> tuple[CfgNode, torch.nn.Module]:
    """The config and the eval-mode model of a trained run.

    ``run``: a ``tools/train_net.py`` output folder, whose ``config.yaml``
    is the config and whose ``model_final.pth`` (``checkpoint="final"``) or
    ``model_best.pth`` (``"best"``) the weights, unless ``opts`` set
    ``MODEL.WEIGHTS``. Otherwise ``config_file`` with ``MODEL.WEIGHTS`` (in
    the file or ``opts``, ``KEY VALUE`` pairs that override the config).
    The backbone's ImageNet weights are never fetched (the checkpoint holds
    the trained ones); a checkpointed memory of any size loads."""
    if (run is None) == (config_file is None):
        raise ValueError("Give a run folder or a config file (with MODEL.WEIGHTS), not both")
    opts = list(opts)
    weights_given = "MODEL.WEIGHTS" in opts[::2]
    if run is not None:
        config_file = os.fspath(run_folder.config_file(run))
        if not weights_given:
            opts += ["MODEL.WEIGHTS", os.fspath(run_folder.model_file(run, checkpoint))]
    cfg = setup_cfg(argparse.Namespace(config_file=config_file, opts=opts), for_run=False)
    cfg.defrost()
    cfg.MODEL.BACKBONE.PRETRAIN = False
    cfg.freeze()
    weights = cfg.MODEL.WEIGHTS
    if not weights:
        raise ValueError(f"No trained weights: {config_file} has no MODEL.WEIGHTS; add MODEL.WEIGHTS "
                         f"path/to/model_final.pth, or give the run folder instead of the config")
    if not os.path.isfile(weights):
        raise FileNotFoundError(f"MODEL.WEIGHTS {weights} does not exist")

    model = trainer_class(cfg).build_model(cfg)
    MemoryCheckpointer(model).load(weights)
    return cfg, model.eval()
