"""``infomap``: InfoMap on the cosine k-NN graph (Cluster Contrast release)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from fastreid.config import CfgNode

from ..clustering import infomap_cluster, require_infomap
from ..clustering.infomap import infomap_stages
from .base import LABELER_REGISTRY, KnnLabeler, checked_knn_index


@LABELER_REGISTRY.register(name="infomap")
class InfomapLabeler(KnnLabeler):
    """Two-level Infomap on the graph of each image's ``k1`` nearest
    neighbours with cosine similarity at least ``min_similarity``; clusters
    of at most ``max_outlier_size`` images are outliers. See
    :func:`hhcl.clustering.infomap_cluster`. The k-NN search runs where the
    features are (``knn_index``), the rest on the CPU. Building one checks
    that the optional ``infomap`` package is installed."""

    def __init__(self, k1: int, min_similarity: float, max_outlier_size: int, knn_index: str,
                 check_memory: bool = True):
        if k1 < 2:
            raise ValueError(f"PSEUDO_LABELS.K1 must be at least 2 for infomap (the image itself and one "
                             f"neighbour), got {k1}; the release uses 15")
        if not -1.0 <= min_similarity <= 1.0:
            raise ValueError(f"PSEUDO_LABELS.MIN_SIMILARITY is a cosine similarity in [-1, 1], got "
                             f"{min_similarity}; the release uses 0.5")
        if max_outlier_size < 0:
            raise ValueError(f"PSEUDO_LABELS.MAX_OUTLIER_SIZE must be >= 0, got {max_outlier_size}; "
                             f"the release uses 4")
        require_infomap()
        self.k1, self.min_similarity, self.max_outlier_size = k1, min_similarity, max_outlier_size
        self.knn_index, self.check_memory_enabled = checked_knn_index(knn_index), check_memory

    @classmethod
    def from_config(cls, cfg: CfgNode, train_items: Sequence[tuple]) -> "InfomapLabeler":
        node = cfg.PSEUDO_LABELS
        return cls(k1=node.K1, min_similarity=node.MIN_SIMILARITY, max_outlier_size=node.MAX_OUTLIER_SIZE,
                   knn_index=node.KNN_INDEX, check_memory=node.CHECK_MEMORY)

    def num_neighbours(self, num_samples: int) -> int:
        return min(self.k1, num_samples)

    def label(self, features: torch.Tensor, previous: np.ndarray | None,
              neighbours: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        return infomap_cluster(features, k1=self.k1, min_similarity=self.min_similarity,
                               max_outlier_size=self.max_outlier_size, knn_index=self.knn_index,
                               neighbours=neighbours)

    def labelling_stages(self, num_samples: int) -> dict[str, dict[str, int]]:
        return infomap_stages(num_samples, self.k1)

    def smaller_neighbourhood(self) -> str:
        return f"PSEUDO_LABELS.K1 (now {self.k1}: the neighbour lists and the graph's edges grow with it)"

    def advice(self, num_clusters: int) -> str:
        if num_clusters == 0:
            return (f"Lower PSEUDO_LABELS.MIN_SIMILARITY (now {self.min_similarity}) or "
                    f"PSEUDO_LABELS.MAX_OUTLIER_SIZE (now {self.max_outlier_size}), or start from a better model "
                    f"(MODEL.WEIGHTS).")
        return (f"Raise PSEUDO_LABELS.MIN_SIMILARITY (now {self.min_similarity}) or lower PSEUDO_LABELS.K1 "
                f"(now {self.k1}), so that fewer edges join the images.")
