"""``dbscan``: k-reciprocal Jaccard distance + DBSCAN (HHCL, Cluster Contrast)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from fastreid.config import CfgNode

from ..clustering import jaccard_dbscan
from ..clustering.memory_estimate import jaccard_dbscan_stages
from .base import LABELER_REGISTRY, KnnLabeler, checked_knn_index


@LABELER_REGISTRY.register(name="dbscan")
class JaccardDBSCANLabeler(KnnLabeler):
    """DBSCAN (``eps``, ``min_samples``) on the k-reciprocal Jaccard
    distance (``k1``, ``k2``) of the features; see :func:`hhcl.clustering.jaccard_dbscan`.
    The k1-NN search runs where the features are (``knn_index``), the rest
    on the CPU."""

    def __init__(self, eps: float, min_samples: int, k1: int, k2: int, knn_index: str, check_memory: bool = True):
        self.eps, self.min_samples, self.k1, self.k2 = eps, min_samples, k1, k2
        self.knn_index, self.check_memory_enabled = checked_knn_index(knn_index), check_memory

    @classmethod
    def from_config(cls, cfg: CfgNode, train_items: Sequence[tuple]) -> "JaccardDBSCANLabeler":
        node = cfg.PSEUDO_LABELS
        return cls(eps=node.EPS, min_samples=node.MIN_SAMPLES, k1=node.K1, k2=node.K2, knn_index=node.KNN_INDEX,
                   check_memory=node.CHECK_MEMORY)

    def num_neighbours(self, num_samples: int) -> int:
        return min(self.k1, num_samples)

    def label(self, features: torch.Tensor, previous: np.ndarray | None,
              neighbours: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        return jaccard_dbscan(features, eps=self.eps, min_samples=self.min_samples, k1=self.k1, k2=self.k2,
                              knn_index=self.knn_index, neighbours=neighbours[1])

    def labelling_stages(self, num_samples: int) -> dict[str, dict[str, int]]:
        return jaccard_dbscan_stages(num_samples, self.k1, self.k2)

    def smaller_neighbourhood(self) -> str:
        return f"PSEUDO_LABELS.K1 (now {self.k1}: the neighbour lists, Jaccard sets and stored pairs grow with it)"

    def advice(self, num_clusters: int) -> str:
        if num_clusters == 0:
            return (f"Raise PSEUDO_LABELS.EPS (now {self.eps}) or lower PSEUDO_LABELS.MIN_SAMPLES (now "
                    f"{self.min_samples}), or start from a better model (MODEL.WEIGHTS).")
        return f"Lower PSEUDO_LABELS.EPS (now {self.eps}) or raise PSEUDO_LABELS.K1 (now {self.k1})."
