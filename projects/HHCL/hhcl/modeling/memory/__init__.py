"""Cluster memories and their contrastive losses (docs/DESIGN.md, "Equations and code").

=============  ==============================================  ======================
mode           memory                                          paper
=============  ==============================================  ======================
``mean``       centroids, per-sample momentum update           Cluster Contrast (CM)
``hard``       centroids, hardest-sample momentum update       Cluster Contrast (CMhard)
``hybrid``     centroids + K hard instances per cluster        HHCL paper, Eq. 2–8
``hard_mean``  hard centroids + mean centroids                 HHCL public release
=============  ==============================================  ======================

A new memory is a :class:`ClusterMemory` subclass plus a builder registered
in :data:`MEMORY_REGISTRY` under its mode name.
"""

from __future__ import annotations

from fastreid.config import CfgNode

from .base import ClusterMemory
from .centroid_memory import CentroidMemory
from .hard_mean_memory import HardMeanMemory
from .hybrid_memory import HybridMemory
from .registry import MEMORY_REGISTRY, MemoryOptions

__all__ = ["MEMORY_REGISTRY", "CentroidMemory", "ClusterMemory", "HardMeanMemory", "HybridMemory", "MemoryOptions",
           "build_memory", "build_memory_from_cfg"]


def build_memory(mode: str, num_features: int, num_clusters: int, **options) -> ClusterMemory:
    """The memory registered as ``mode``, with :class:`MemoryOptions`
    ``options`` (``num_instances``, ``temp``, ``momentum``, ``mu``,
    ``label_smooth``, ``legacy_weighting``)."""
    return MEMORY_REGISTRY.get(mode)(num_features, num_clusters, MemoryOptions(**options))


def build_memory_from_cfg(cfg: CfgNode, num_features: int, num_clusters: int) -> ClusterMemory:
    """The memory described by ``cfg.MODEL.MEMORY``."""
    node = cfg.MODEL.MEMORY
    return build_memory(node.MODE, num_features, num_clusters, num_instances=node.NUM_INSTANCES, temp=node.TEMP,
                        momentum=node.MOMENTUM, mu=node.MU, label_smooth=node.LABEL_SMOOTH,
                        legacy_weighting=node.LEGACY_WEIGHTING)
