"""Trainers, the pseudo-label hook and the helpers around them."""

from fastreid.config import CfgNode
from fastreid.modeling.meta_arch import META_ARCH_REGISTRY

from ..modeling import PseudoLabelModel
from .baseline_trainer import BaselineTrainer
from .best_evaluation import BestEvaluationHook, per_dataset
from .checkpoint import AtomicCheckpointer, MemoryCheckpointer
from .features import ExtractedFeatures, build_inference_loader, extract_features, extract_train_features
from .pseudo_label_hook import PseudoLabelHook
from .pseudo_label_log import PseudoLabelLog
from .pseudo_label_trainer import PseudoLabelTrainer
from .results import format_results_table
from .setup import setup_cfg
from .trained_model import load_trained_model

__all__ = ["AtomicCheckpointer", "BaselineTrainer", "BestEvaluationHook", "ExtractedFeatures", "MemoryCheckpointer", "PseudoLabelHook",
           "PseudoLabelLog", "PseudoLabelTrainer", "build_inference_loader", "extract_features", "extract_train_features",
           "format_results_table", "load_trained_model", "per_dataset", "setup_cfg", "trainer_class"]


def trainer_class(cfg: CfgNode) -> type:
    """``PseudoLabelTrainer`` for the meta-architectures registered in
    FastReID's ``META_ARCH_REGISTRY`` as :class:`~hhcl.modeling.PseudoLabelModel`
    subclasses (``HHCL``, ``HCT``), ``BaselineTrainer`` for the others."""
    meta_architecture = META_ARCH_REGISTRY.get(cfg.MODEL.META_ARCHITECTURE)
    return PseudoLabelTrainer if issubclass(meta_architecture, PseudoLabelModel) else BaselineTrainer
