"""DBSCAN on a sparse precomputed distance matrix (sklearn)."""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse
from sklearn.cluster import DBSCAN

logger = logging.getLogger(__name__)


def relabel_by_first_appearance(labels: np.ndarray) -> np.ndarray:
    """Clusters renumbered 0..C−1 in order of first appearance; −1 stays −1."""
    labels = np.asarray(labels)
    out = np.full(labels.shape, -1, dtype=np.int64)
    inliers = labels >= 0
    if inliers.any():
        _, first, inverse = np.unique(labels[inliers], return_index=True, return_inverse=True)
        rank = np.empty(first.size, np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(first.size)
        out[inliers] = rank[inverse]
    return out


def dbscan(dist: scipy.sparse.spmatrix | np.ndarray, eps: float, min_samples: int = 4) -> np.ndarray:
    """DBSCAN labels (−1 = outlier, clusters 0..C−1 in order of first
    appearance) of a precomputed distance matrix: dense, or sparse with the
    pairs within ``eps`` stored (explicit zeros count as distance 0; absent
    pairs are farther than ``eps``).

    Finding no cluster is not an error: a warning says what to change and
    every sample is labelled −1.
    """
    if eps <= 0 or min_samples < 1:
        raise ValueError(f"DBSCAN needs eps > 0 and min_samples >= 1, got eps={eps}, min_samples={min_samples}")
    labels = DBSCAN(eps=eps, min_samples=min_samples, metric="precomputed").fit_predict(dist)
    labels = relabel_by_first_appearance(labels)
    if labels.max(initial=-1) < 0:
        logger.warning(f"DBSCAN found 0 clusters: all {labels.size} samples are outliers at eps={eps}, "
                       f"min_samples={min_samples}. Raise eps or lower min_samples, or "
                       f"check that the features are meaningful.")
    return labels
