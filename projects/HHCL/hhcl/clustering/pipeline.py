"""The pseudo-label step of HHCL and Cluster Contrast: k-NN → Jaccard → DBSCAN."""

from __future__ import annotations

import numpy as np

from .dbscan import dbscan
from .jaccard import jaccard_distance


def jaccard_dbscan(features, eps: float, min_samples: int = 4, k1: int = 30, k2: int = 6,
                   knn_index: str = "exact", neighbours: np.ndarray | None = None) -> np.ndarray:
    """Pseudo labels (−1 = outlier) of L2-normalised features (torch on any
    device, or numpy). Only the pairs within ``eps`` are kept in the distance
    matrix (all DBSCAN needs). ``knn_index`` and ``neighbours`` as in
    :func:`~hhcl.clustering.jaccard_distance`."""
    keep_below = float(np.nextafter(np.float32(eps), np.float32(np.inf)))
    distances = jaccard_distance(features, k1=k1, k2=k2, max_distance=keep_below, knn_index=knn_index,
                                 neighbours=neighbours)
    return dbscan(distances, eps=eps, min_samples=min_samples)
