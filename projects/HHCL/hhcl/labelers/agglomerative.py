"""``agglomerative``: one bottom-up merge stage per update (HCT, BUC)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from fastreid.config import CfgNode

from ..clustering import agglomerative
from ..clustering.memory_estimate import merge_stages
from .base import LABELER_REGISTRY, KnnLabeler, checked_knn_index


@LABELER_REGISTRY.register(name="agglomerative")
class AgglomerativeLabeler(KnnLabeler):
    """Merges the previous clusters (singletons at first) by
    ``merge_percent`` × N closest pairs; see :func:`hhcl.clustering.agglomerative`.
    The k-NN search runs where the features are (``knn_index``), the merging
    on the CPU."""

    def __init__(self, merge_percent: float, linkage: str, size_penalty: float, k: int, knn_index: str,
                 check_memory: bool = True):
        self.merge_percent, self.linkage, self.size_penalty = merge_percent, linkage, size_penalty
        self.k, self.knn_index, self.check_memory_enabled = k, checked_knn_index(knn_index), check_memory

    @classmethod
    def from_config(cls, cfg: CfgNode, train_items: Sequence[tuple]) -> "AgglomerativeLabeler":
        node = cfg.PSEUDO_LABELS
        return cls(merge_percent=node.MERGE_PERCENT, linkage=node.LINKAGE, size_penalty=node.SIZE_PENALTY,
                   k=node.KNN, knn_index=node.KNN_INDEX, check_memory=node.CHECK_MEMORY)

    def num_neighbours(self, num_samples: int) -> int:
        return min(self.k + 1, num_samples)

    def label(self, features: torch.Tensor, previous: np.ndarray | None,
              neighbours: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        return agglomerative(features, previous, merge_percent=self.merge_percent, linkage=self.linkage,
                             size_penalty=self.size_penalty, k=self.k, knn_index=self.knn_index,
                             neighbours=neighbours)

    def labelling_stages(self, num_samples: int) -> dict[str, dict[str, int]]:
        return merge_stages(num_samples, self.num_neighbours(num_samples))

    def smaller_neighbourhood(self) -> str:
        return f"PSEUDO_LABELS.KNN (now {self.k}: the neighbour lists grow with it)"

    def advice(self, num_clusters: int) -> str:
        return (f"Merge less: lower PSEUDO_LABELS.MERGE_PERCENT (now {self.merge_percent}) or run fewer merge "
                f"stages (SOLVER.MAX_EPOCH / PSEUDO_LABELS.EVERY_N_EPOCHS).")
