"""Modeling: the HHCL and HCT meta-architectures, their embedding head, a small CPU
backbone, the cluster memories and their losses (registered in FastReID's
registries on import)."""

from .backbones import SmallCNN, build_small_cnn_backbone
from .errors import PretrainedWeightsNotFoundError
from .heads import NormalizedEmbeddingHead
from .memory import build_memory, build_memory_from_cfg
from .hct_meta_arch import HCT
from .hhcl_meta_arch import HHCL
from .pseudo_label_model import PseudoLabelModel
from .split_batchnorm import split_batch_norm_

__all__ = ["HCT", "HHCL", "NormalizedEmbeddingHead", "PretrainedWeightsNotFoundError", "PseudoLabelModel", "SmallCNN", "build_memory", "build_memory_from_cfg",
           "build_small_cnn_backbone", "split_batch_norm_"]
