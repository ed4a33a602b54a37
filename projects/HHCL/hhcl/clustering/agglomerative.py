"""Bottom-up hierarchical clustering for HCT (following BUC), on a k-NN graph."""

from __future__ import annotations

import numpy as np
import scipy.sparse

from .dbscan import relabel_by_first_appearance
from .knn import knn_search

LINKAGES = ("min", "average")


def agglomerative(features, labels: np.ndarray | None = None, merge_percent: float = 0.07,
                  linkage: str = "min", size_penalty: float = 0.003, k: int = 20,
                  knn_index: str = "exact", neighbours: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """One merge stage: ``int(merge_percent × N)`` merges of the current
    clusters (``labels``, singletons when None), closest first — N the number
    of samples, so every stage merges the same number, as BUC
    (``nums_to_merge = int(num_images × merge_percent)``) and HCT do:
    ``1/merge_percent − 1`` stages take N singletons down to about
    ``merge_percent × N`` clusters.

    The distance of two clusters A, B is their linkage distance (``min``: the
    closest pair of members, as BUC/HCT; ``average``: the mean over member
    pairs) plus ``size_penalty × (|A| + |B|)``, which keeps clusters balanced.
    Distances are Euclidean between the features and are taken over
    the edges of the k-NN graph (``k`` neighbours per sample), so clusters
    with no k-NN edge between them are never merged and no N×N matrix is
    formed. Pairs are merged in order of distance (union-find), skipping pairs
    already joined, until the stage's merges are done or no edge is left.
    Returns labels 0..C'−1 in order of first appearance.

    The k-NN search (:func:`~hhcl.clustering.knn_search` with ``knn_index``,
    the sample itself included, so min(k + 1, N) per row) runs where the
    features are (a torch tensor on any device, or a numpy array); with
    ``neighbours``, its (squared distances, indices), e.g. assembled from
    several processes' rows, no search is run.
    """
    n = features.shape[0]
    if linkage not in LINKAGES:
        raise ValueError(f"Unknown linkage {linkage!r}; choose one of {', '.join(LINKAGES)}")
    labels = np.arange(n) if labels is None else relabel_by_first_appearance(labels)
    if (labels < 0).any():
        raise ValueError("agglomerative clustering starts from a full partition: no -1 labels")
    num_clusters = int(labels.max()) + 1
    merges = min(int(merge_percent * n), num_clusters - 1)
    if merges < 1:
        return labels

    if neighbours is None:
        neighbours = knn_search(features, min(k + 1, n), knn_index)
    squared_distance, neighbours = neighbours
    if neighbours.shape != (n, min(k + 1, n)):
        raise ValueError(f"neighbours must be the N×min(k+1, N) = {n}×{min(k + 1, n)} k-NN lists, got shape "
                         f"{neighbours.shape}")
    rows = np.repeat(np.arange(n), neighbours.shape[1])
    a, b = labels[rows], labels[neighbours.ravel()]
    distance = np.sqrt(np.maximum(0.0, squared_distance.ravel().astype(np.float64)))
    between = a != b
    a, b, distance = np.minimum(a, b)[between], np.maximum(a, b)[between], distance[between]
    pairs = scipy.sparse.coo_matrix((np.ones_like(distance), (a, b)), shape=(num_clusters, num_clusters)).tocsr()
    if linkage == "min":
        order = np.lexsort((distance, a * num_clusters + b))
        key = (a * num_clusters + b)[order]
        first = np.r_[True, key[1:] != key[:-1]]
        cluster_a, cluster_b, link = a[order][first], b[order][first], distance[order][first]
    else:
        sums = scipy.sparse.coo_matrix((distance, (a, b)), shape=pairs.shape).tocsr()
        pairs.sum_duplicates()
        sums.sum_duplicates()
        coo = sums.tocoo()
        cluster_a, cluster_b = coo.row, coo.col
        link = coo.data / np.asarray(pairs[cluster_a, cluster_b]).ravel()
    sizes = np.bincount(labels, minlength=num_clusters)
    cost = link + size_penalty * (sizes[cluster_a] + sizes[cluster_b])
    parent = np.arange(num_clusters)

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    done = 0
    for index in np.argsort(cost, kind="stable"):
        ra, rb = root(int(cluster_a[index])), root(int(cluster_b[index]))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
            done += 1
            if done == merges:
                break
    roots = np.array([root(c) for c in range(num_clusters)])
    return relabel_by_first_appearance(roots[labels])
