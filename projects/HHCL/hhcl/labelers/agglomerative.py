"""``agglomerative``: one bottom-up merge stage per update (HCT, BUC)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from fastreid.config import CfgNode

from ..clustering import agglomerative
from .base import LABELER_REGISTRY, Labeler


@LABELER_REGISTRY.register(name="agglomerative")
class AgglomerativeLabeler(Labeler):
    """Merges the previous clusters (singletons at first) by
    ``merge_percent`` × N closest pairs; see :func:`hhcl.clustering.agglomerative`."""

    def __init__(self, merge_percent: float, linkage: str, size_penalty: float, k: int, knn_index: str):
        self.merge_percent, self.linkage, self.size_penalty = merge_percent, linkage, size_penalty
        self.k, self.knn_index = k, knn_index

    @classmethod
    def from_config(cls, cfg: CfgNode, train_items: Sequence[tuple]) -> "AgglomerativeLabeler":
        node = cfg.PSEUDO_LABELS
        return cls(merge_percent=node.MERGE_PERCENT, linkage=node.LINKAGE, size_penalty=node.SIZE_PENALTY,
                   k=node.KNN, knn_index=node.KNN_INDEX)

    def __call__(self, features: torch.Tensor, previous: np.ndarray | None) -> np.ndarray:
        return agglomerative(features.numpy(), previous, merge_percent=self.merge_percent, linkage=self.linkage,
                             size_penalty=self.size_penalty, k=self.k, knn_index=self.knn_index)

    def advice(self, num_clusters: int) -> str:
        return (f"Merge less: lower PSEUDO_LABELS.MERGE_PERCENT (now {self.merge_percent}) or run fewer merge "
                f"stages (SOLVER.MAX_EPOCH / PSEUDO_LABELS.EVERY_N_EPOCHS).")
