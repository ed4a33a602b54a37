"""Modeling: the HHCL meta-architecture, its embedding head, a small CPU
backbone, the cluster memories and their losses (registered in FastReID's
registries on import)."""

from .backbones import SmallCNN, build_small_cnn_backbone
from .heads import HHCLEmbeddingHead
from .memory import build_memory, build_memory_from_cfg
from .meta_arch import HHCL

__all__ = ["HHCL", "HHCLEmbeddingHead", "SmallCNN", "build_memory", "build_memory_from_cfg",
           "build_small_cnn_backbone"]
