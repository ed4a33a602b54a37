"""Trainers, the pseudo-label hook and the helpers around them."""

from fastreid.config import CfgNode

from .baseline_trainer import BaselineTrainer
from .checkpoint import AtomicCheckpointer, MemoryCheckpointer
from .hhcl_trainer import HHCLTrainer
from .pseudo_label_hook import PseudoLabelHook
from .results import format_results_table
from .setup import setup_cfg

__all__ = ["UNSUPERVISED_META_ARCHITECTURES", "AtomicCheckpointer", "BaselineTrainer", "HHCLTrainer",
           "MemoryCheckpointer", "PseudoLabelHook", "format_results_table", "setup_cfg", "trainer_class"]

#: Meta-architectures trained on pseudo labels by :class:`HHCLTrainer`.
UNSUPERVISED_META_ARCHITECTURES = ("HHCL", "HCT")


def trainer_class(cfg: CfgNode) -> type:
    """``HHCLTrainer`` for the clustering-based meta-architectures (``HHCL``,
    ``HCT``), ``BaselineTrainer`` for stock FastReID models."""
    return HHCLTrainer if cfg.MODEL.META_ARCHITECTURE in UNSUPERVISED_META_ARCHITECTURES else BaselineTrainer
