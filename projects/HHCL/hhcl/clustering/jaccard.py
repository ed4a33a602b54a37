"""Sparse k-reciprocal Jaccard distance (Zhong et al. 2017, as in SpCL,
Cluster Contrast and HHCL): docs/DESIGN.md, "Pseudo labels", steps 1–6."""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse

from . import _kernels
from .knn import as_float32_features, knn_search

logger = logging.getLogger(__name__)


def jaccard_distance(features, k1: int = 30, k2: int = 6, max_distance: float = 1.0,
                     knn_index: str = "exact", rows: np.ndarray | None = None,
                     neighbours: np.ndarray | None = None) -> scipy.sparse.csr_matrix:
    """k-reciprocal Jaccard distances of features (N×d; L2-normalised for
    pseudo labels, raw for re-ranking with a Euclidean test metric; a torch
    tensor on any device or a numpy array). The k1-NN search
    (:func:`~hhcl.clustering.knn_search` with ``knn_index``) runs where the
    features are; the rest on the CPU. With ``neighbours`` (the N×min(k1, N)
    indices of that search, e.g. assembled from several processes' rows),
    no search is run.

    Returns an N×N float32 CSR matrix holding every pair with distance below
    ``max_distance`` (zeros, the diagonal included, stored explicitly);
    absent pairs are at least ``max_distance`` away (1 with the default).
    Memory is O(N·k): the k1-NN lists, the sparse V and the kept pairs.
    With ``rows``, only those rows are computed (a len(rows)×N matrix; the
    neighbourhoods still come from all N samples): re-ranking needs only the
    queries' rows.

    With fewer than ``k1`` samples every sample is a neighbour of every
    other (k1 = N, k2 = min(k2, N)), with a warning.
    """
    n = features.shape[0]
    if k1 < 1 or k2 < 1:
        raise ValueError(f"k1 and k2 must be at least 1, got k1={k1}, k2={k2}")
    if n < k1:
        logger.warning(f"Jaccard distance: {n} samples, fewer than k1={k1}: using k1={n}")
        k1 = n
    k2 = min(k2, k1)
    if neighbours is None:
        _, neighbours = knn_search(features, k1, knn_index)
    elif neighbours.shape != (n, k1):
        raise ValueError(f"neighbours must be the N×min(k1, N) = {n}×{k1} k-NN indices, got shape "
                         f"{neighbours.shape}")
    return jaccard_from_neighbours(features, neighbours, k2, max_distance, rows)


def jaccard_from_neighbours(features: np.ndarray, neighbours: np.ndarray, k2: int,
                            max_distance: float = 1.0, rows: np.ndarray | None = None) -> scipy.sparse.csr_matrix:
    """Steps 2–6 of the definition given N(i) = ``neighbours[i]`` (N×k1,
    closest first, as returned by a k1-NN search of the set against itself)."""
    neighbours = np.ascontiguousarray(neighbours, dtype=np.int64)
    if neighbours.min(initial=0) < 0 or neighbours.max(initial=0) >= neighbours.shape[0]:
        raise ValueError("neighbour indices must be in 0..N-1")
    return _jaccard(as_float32_features(features), neighbours, k2, max_distance, rows)


def _jaccard(features: np.ndarray, neighbours: np.ndarray, k2: int, max_distance: float,
             rows: np.ndarray | None) -> scipy.sparse.csr_matrix:
    """Steps 2–6 on checked inputs (float32 features, int64 neighbours)."""
    n, k1 = neighbours.shape
    ranks = _kernels.reciprocal_ranks(neighbours)                              # i's place in each N(j)
    r1 = _kernels.reciprocal_neighbours(neighbours, ranks, k1)                 # R(i, k1)
    rh = _kernels.reciprocal_neighbours(neighbours, ranks, int(np.around(k1 / 2)))  # R(i, round(k1/2))
    v = _kernels.expanded_weights(features, r1, rh)                            # steps 3-4
    if k2 > 1:
        v = _kernels.query_expansion(neighbours, k2, v)                        # step 5
    indptr, indices, values = _kernels.jaccard_from_weights(v, float(max_distance), rows)  # step 6
    return scipy.sparse.csr_matrix((values, indices, indptr), shape=(indptr.size - 1, n))
