"""DBSCAN on a precomputed distance matrix, sparse or dense, with
scikit-learn's labels (``DBSCAN(metric="precomputed")``) in one compiled
pass over the stored pairs."""

from __future__ import annotations

import logging

import numba
import numpy as np
import scipy.sparse

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


def _eps_neighbourhoods(dist: scipy.sparse.spmatrix | np.ndarray, eps: float
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The eps-neighbourhoods as scikit-learn's DBSCAN forms them: the
    stored pairs (i, j) with d ≤ ``eps``, the diagonal replaced by i itself
    when its entry (0 when not stored) is ≤ ``eps``; ``d <= eps`` is
    evaluated by numpy in the matrix's dtype, as scikit-learn does. Returns
    (indptr, indices, within, self_within): the pairs as CSR, whether each
    is within eps (diagonal entries to be skipped), and whether each point
    is in its own neighbourhood."""
    if scipy.sparse.issparse(dist):
        dist = scipy.sparse.csr_matrix(dist)
        values, diagonal = dist.data, dist.diagonal()
    else:
        values = dist = np.asarray(dist)
        if dist.ndim != 2 or dist.shape[0] != dist.shape[1]:
            raise ValueError(f"DBSCAN needs a square N×N distance matrix, got shape {dist.shape}")
        diagonal = np.diagonal(dist)
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError("The DBSCAN distance matrix must hold finite, non-negative distances; it has NaN, inf or "
                         "negative entries")
    if scipy.sparse.issparse(dist):
        return (np.asarray(dist.indptr, dtype=np.int64), np.asarray(dist.indices, dtype=np.int64), values <= eps,
                diagonal <= eps)
    rows, columns = np.nonzero(values <= eps)
    indptr = np.zeros(dist.shape[0] + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=dist.shape[0]), out=indptr[1:])
    return indptr, columns.astype(np.int64), np.ones(columns.size, np.bool_), diagonal <= eps


@numba.njit(cache=True)
def _dbscan_labels(indptr, indices, within, self_within, min_samples):
    """scikit-learn's ``dbscan_inner``: a point is core with at least
    ``min_samples`` points in its neighbourhood (itself included); in order
    of index, each unlabelled core point starts a cluster holding every
    point reachable from it through core points, unless an earlier cluster
    took it. Returns the labels (−1 for noise)."""
    n = indptr.size - 1
    core = np.zeros(n, np.bool_)
    for i in range(n):
        size = np.int64(self_within[i])
        for p in range(indptr[i], indptr[i + 1]):
            if within[p] and indices[p] != i:
                size += 1
        core[i] = size >= min_samples
    labels = np.full(n, -1, np.int64)
    stack = np.empty(n, np.int64)
    cluster = 0
    for seed in range(n):
        if labels[seed] != -1 or not core[seed]:
            continue
        labels[seed] = cluster
        stack[0] = seed
        top = 1
        while top > 0:
            top -= 1
            i = stack[top]
            if not core[i]:
                continue
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                if within[p] and labels[j] == -1:
                    labels[j] = cluster
                    stack[top] = j
                    top += 1
        cluster += 1
    return labels


def dbscan(dist: scipy.sparse.spmatrix | np.ndarray, eps: float, min_samples: int = 4) -> np.ndarray:
    """DBSCAN labels (−1 = outlier, clusters 0..C−1 in order of first
    appearance) of a precomputed distance matrix: dense, or sparse with the
    pairs within ``eps`` stored (explicit zeros count as distance 0; absent
    pairs are farther than ``eps``). The labels are scikit-learn's
    ``DBSCAN(eps, min_samples=min_samples, metric="precomputed")`` ones
    (tests/clustering/test_dbscan_and_metrics.py), without its per-point
    neighbourhood arrays.

    Finding no cluster is not an error: a warning says what to change and
    every sample is labelled −1.
    """
    if eps <= 0 or min_samples < 1:
        raise ValueError(f"DBSCAN needs eps > 0 and min_samples >= 1, got eps={eps}, min_samples={min_samples}")
    labels = relabel_by_first_appearance(_dbscan_labels(*_eps_neighbourhoods(dist, eps), int(min_samples)))
    if labels.max(initial=-1) < 0:
        logger.warning(f"DBSCAN found 0 clusters: all {labels.size} samples are outliers at eps={eps}, "
                       f"min_samples={min_samples}. Raise eps or lower min_samples, or "
                       f"check that the features are meaningful.")
    return labels
