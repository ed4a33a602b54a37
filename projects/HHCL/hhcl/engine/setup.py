"""Building the run's config from the command line, the FastReID way."""

from __future__ import annotations

import argparse
import logging

import torch
from fastreid.config import CfgNode, get_cfg
from fastreid.engine import default_setup
from fastreid.utils import comm
from fastreid.utils.logger import setup_logger

from ..config import add_hhcl_config, merge_config_file, merge_config_list
from .config_checks import check_config


def setup_cfg(args: argparse.Namespace, for_run: bool = True) -> CfgNode:
    """FastReID defaults + the plugin's keys + the config file + overrides.

    Unknown keys raise yacs's ``KeyError`` (``Non-existent config key``);
    renamed keys work, with a warning (:data:`hhcl.config.RENAMED_KEYS`).
    Every value is then checked (:func:`hhcl.engine.check_config`, for the
    processes this one was launched among): a value the run cannot use
    raises :class:`~hhcl.engine.ConfigValueError` listing them all, before
    any output folder, dataset or model exists.
    When the config asks for CUDA on a machine without it, the run falls back
    to the CPU with a warning (and without AMP, which is much slower on CPU).
    With ``for_run`` the output folder, logger and config dump are set up
    (``default_setup``), and the plugin's
    ``hhcl`` logger writes to the console and the run's log file.
    """
    cfg = get_cfg()
    add_hhcl_config(cfg)
    if args.config_file:
        merge_config_file(cfg, args.config_file)
    merge_config_list(cfg, args.opts)
    fell_back = cfg.MODEL.DEVICE.startswith("cuda") and not torch.cuda.is_available()
    if fell_back:
        cfg.MODEL.DEVICE = "cpu"
        cfg.SOLVER.AMP.ENABLED = False
    cfg.freeze()
    check_config(cfg, world_size=comm.get_world_size())
    if for_run:
        default_setup(cfg, args)
        setup_logger(cfg.OUTPUT_DIR, distributed_rank=comm.get_rank(), name="hhcl")
    if fell_back:
        logging.getLogger("fastreid").warning(
            "MODEL.DEVICE asks for CUDA but none is available: running on the CPU with "
            "SOLVER.AMP.ENABLED False.")
    return cfg
