"""Cluster memories and their contrastive losses (docs/DESIGN.md, "Equations and code").

=============  ==============================================  ======================
mode           memory                                          paper
=============  ==============================================  ======================
``mean``       centroids, per-sample momentum update           Cluster Contrast (CM)
``hard``       centroids, hardest-sample momentum update       Cluster Contrast (CMhard)
``hybrid``     centroids + K hard instances per cluster        HHCL paper, Eq. 2–8
``hard_mean``  hard centroids + mean centroids                 HHCL public release
=============  ==============================================  ======================

Label smoothing (``MODEL.MEMORY.LABEL_SMOOTH`` ε, 0 = off;
``MODEL.MEMORY.LABEL_SMOOTH_MODE``), see ``ClusterMemory._cross_entropy``:

===========  =====================================================  =================================
smooth mode  target of sample j (C clusters, true cluster y)        CE terms smoothed
===========  =====================================================  =================================
``uniform``  ``(1−ε)·onehot(y) + ε/C``                              the cluster-level (centroid) CE
                                                                    only (not hybrid's instance CE)
``release``  k = C // 50: ``(1−ε)·onehot(y) + (ε/k)·1[c ∈ top-k]``  every CE term (both of ``hybrid``
             with top-k = j's own k most probable clusters (no      and of ``hard_mean``)
             gradient through the choice); uniform's if k <= 1
===========  =====================================================  =================================

``release`` is the HHCL public release's ``--smooth``; the release hard-codes
ε = 0.1 whatever the flag's value, here ε is ``MODEL.MEMORY.LABEL_SMOOTH``
(set 0.1 to match the release).

A new memory is a :class:`ClusterMemory` subclass plus a builder registered
in :data:`MEMORY_REGISTRY` under its mode name.
"""

from __future__ import annotations

from fastreid.config import CfgNode

from .base import LABEL_SMOOTH_MODES, ClusterMemory, top_k_smoothed_cross_entropy
from .centroid_memory import CentroidMemory
from .hard_mean_memory import HardMeanMemory
from .hybrid_memory import HybridMemory
from .registry import MEMORY_REGISTRY, MemoryOptions

__all__ = ["LABEL_SMOOTH_MODES", "MEMORY_REGISTRY", "CentroidMemory", "ClusterMemory", "HardMeanMemory", "HybridMemory",
           "MemoryOptions", "build_memory", "build_memory_from_cfg", "top_k_smoothed_cross_entropy"]


def build_memory(mode: str, num_features: int, num_clusters: int, **options) -> ClusterMemory:
    """The memory registered as ``mode``, with :class:`MemoryOptions`
    ``options`` (``num_instances``, ``temp``, ``momentum``, ``mu``,
    ``label_smooth``, ``label_smooth_mode``, ``legacy_weighting``)."""
    return MEMORY_REGISTRY.get(mode)(num_features, num_clusters, MemoryOptions(**options))


def build_memory_from_cfg(cfg: CfgNode, num_features: int, num_clusters: int) -> ClusterMemory:
    """The memory described by ``cfg.MODEL.MEMORY``."""
    node = cfg.MODEL.MEMORY
    return build_memory(node.MODE, num_features, num_clusters, num_instances=node.NUM_INSTANCES, temp=node.TEMP,
                        momentum=node.MOMENTUM, mu=node.MU, label_smooth=node.LABEL_SMOOTH,
                        label_smooth_mode=node.LABEL_SMOOTH_MODE, legacy_weighting=node.LEGACY_WEIGHTING)
