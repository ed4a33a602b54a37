"""Modeling: the HHCL meta-architecture, its embedding head, the cluster
memories and their losses (registered in FastReID's registries on import)."""

from .heads import HHCLEmbeddingHead
from .memory import build_memory, build_memory_from_cfg
from .meta_arch import HHCL

__all__ = ["HHCL", "HHCLEmbeddingHead", "build_memory", "build_memory_from_cfg"]
