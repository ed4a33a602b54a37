"""Cluster memories and their contrastive losses (DESIGN "Memories and losses").

=============  ==============================================  ======================
mode           memory                                          paper
=============  ==============================================  ======================
``mean``       centroids, per-sample momentum update           Cluster Contrast (CM)
``hard``       centroids, hardest-sample momentum update       Cluster Contrast (CMhard)
``hybrid``     centroids + K hard instances per cluster        HHCL paper, Eq. 2–8
``hard_mean``  hard centroids + mean centroids                 HHCL public release
=============  ==============================================  ======================
"""

from __future__ import annotations

from fastreid.config import CfgNode

from .base import ClusterMemory
from .centroid_memory import CentroidMemory
from .hard_mean_memory import HardMeanMemory
from .hybrid_memory import HybridMemory

MODES = ("mean", "hard", "hybrid", "hard_mean")

__all__ = ["MODES", "CentroidMemory", "ClusterMemory", "HardMeanMemory", "HybridMemory", "build_memory",
           "build_memory_from_cfg"]


def build_memory(mode: str, num_features: int, num_clusters: int, num_instances: int = 16,
                 temp: float = 0.05, momentum: float = 0.1, mu: float = 0.5, label_smooth: float = 0.0,
                 legacy_weighting: bool = False) -> ClusterMemory:
    """The memory of ``mode`` (see the table above). ``label_smooth`` applies
    to the cluster-level (centroid) cross-entropies; ``num_instances`` is used
    by ``hybrid``, ``mu`` by ``hybrid`` and ``hard_mean``, ``legacy_weighting``
    by ``hard_mean``."""
    common = dict(temp=temp, momentum=momentum, label_smooth=label_smooth)
    if mode in ("mean", "hard"):
        return CentroidMemory(num_features, num_clusters, hard=mode == "hard", **common)
    if mode == "hybrid":
        return HybridMemory(num_features, num_clusters, num_instances=num_instances, mu=mu, **common)
    if mode == "hard_mean":
        return HardMeanMemory(num_features, num_clusters, mu=mu, legacy_weighting=legacy_weighting, **common)
    raise ValueError(f"Unknown HHCL.MEMORY.MODE {mode!r}; choose one of {', '.join(MODES)}")


def build_memory_from_cfg(cfg: CfgNode, num_features: int, num_clusters: int) -> ClusterMemory:
    """The memory described by ``cfg.HHCL.MEMORY``."""
    node = cfg.HHCL.MEMORY
    return build_memory(node.MODE, num_features, num_clusters, num_instances=node.NUM_INSTANCES,
                        temp=node.TEMP, momentum=node.MOMENTUM, mu=node.MU, label_smooth=node.LABEL_SMOOTH,
                        legacy_weighting=node.LEGACY_WEIGHTING)
