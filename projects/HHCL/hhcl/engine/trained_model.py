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

    from . import trainer_class  # engine/__init__ imports this module

    model = trainer_class(cfg).build_model(cfg)
    MemoryCheckpointer(model).load(weights)
    return cfg, model.eval()
