"""Which trainer a config's meta-architecture needs."""

from fastreid.config import CfgNode
from fastreid.modeling.meta_arch import META_ARCH_REGISTRY

from ..modeling import PseudoLabelModel
from .baseline_trainer import BaselineTrainer
from .pseudo_label_trainer import PseudoLabelTrainer


def trainer_class(cfg: CfgNode) -> type:
    """``PseudoLabelTrainer`` for the meta-architectures registered in
    FastReID's ``META_ARCH_REGISTRY`` as :class:`~hhcl.modeling.PseudoLabelModel`
    subclasses (``HHCL``, ``HCT``), ``BaselineTrainer`` for the others."""
    meta_architecture = META_ARCH_REGISTRY.get(cfg.MODEL.META_ARCHITECTURE)
    return PseudoLabelTrainer if issubclass(meta_architecture, PseudoLabelModel) else BaselineTrainer
