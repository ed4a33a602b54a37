"""The trainer follows the meta-architecture's class, not a list of names."""

from __future__ import annotations

from fastreid.config import get_cfg
from fastreid.modeling.meta_arch import META_ARCH_REGISTRY, Baseline

from hhcl import add_hhcl_config
from hhcl.engine import BaselineTrainer, PseudoLabelTrainer, trainer_class
from hhcl.modeling import PseudoLabelModel


@META_ARCH_REGISTRY.register()
class ToyPseudoLabelArch(PseudoLabelModel):
    """A meta-architecture a user adds, trained on pseudo labels."""


@META_ARCH_REGISTRY.register()
class ToySupervisedArch(Baseline):
    """A meta-architecture a user adds, trained with labels."""


def cfg_for(meta_architecture: str):
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.MODEL.META_ARCHITECTURE = meta_architecture
    return cfg


def test_pseudo_label_models_get_the_pseudo_label_trainer():
    for name in ("HHCL", "HCT", "ToyPseudoLabelArch"):
        assert trainer_class(cfg_for(name)) is PseudoLabelTrainer, name
    for name in ("Baseline", "ToySupervisedArch"):
        assert trainer_class(cfg_for(name)) is BaselineTrainer, name
