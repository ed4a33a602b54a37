"""``dbscan``: k-reciprocal Jaccard distance + DBSCAN (HHCL, Cluster Contrast)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from fastreid.config import CfgNode

from ..clustering import jaccard_dbscan
from .base import LABELER_REGISTRY, Labeler


@LABELER_REGISTRY.register(name="dbscan")
class JaccardDBSCANLabeler(Labeler):
    """DBSCAN (``eps``, ``min_samples``) on the k-reciprocal Jaccard
    distance (``k1``, ``k2``) of the features; see :func:`hhcl.clustering.jaccard_dbscan`."""

    def __init__(self, eps: float, min_samples: int, k1: int, k2: int, knn_index: str):
        self.eps, self.min_samples, self.k1, self.k2, self.knn_index = eps, min_samples, k1, k2, knn_index

    @classmethod
    def from_config(cls, cfg: CfgNode, train_items: Sequence[tuple]) -> "JaccardDBSCANLabeler":
        node = cfg.PSEUDO_LABELS
        return cls(eps=node.EPS, min_samples=node.MIN_SAMPLES, k1=node.K1, k2=node.K2, knn_index=node.KNN_INDEX)

    def __call__(self, features: torch.Tensor, previous: np.ndarray | None) -> np.ndarray:
        return jaccard_dbscan(features.numpy(), eps=self.eps, min_samples=self.min_samples, k1=self.k1, k2=self.k2,
                              knn_index=self.knn_index)

    def advice(self, num_clusters: int) -> str:
        if num_clusters == 0:
            return (f"Raise PSEUDO_LABELS.EPS (now {self.eps}) or lower PSEUDO_LABELS.MIN_SAMPLES (now "
                    f"{self.min_samples}), or start from a better model (MODEL.WEIGHTS).")
        return f"Lower PSEUDO_LABELS.EPS (now {self.eps}) or raise PSEUDO_LABELS.K1 (now {self.k1})."
