"""``add_hhcl_config``: every config key the plugin adds, with its defaults."""

from __future__ import annotations

from fastreid.config import CfgNode

from .data.synthetic_config import add_synthetic_config


def add_hhcl_config(cfg: CfgNode) -> None:
    """Add the plugin's keys to a FastReID config (in place).

    ``DATASETS.SYNTH_SOURCE`` / ``DATASETS.SYNTH_TARGET``: options of the
    synthetic datasets (see :class:`hhcl.data.SyntheticSpec`).
    """
    add_synthetic_config(cfg)
