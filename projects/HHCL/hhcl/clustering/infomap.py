"""InfoMap clustering of the cosine k-NN graph, the rule of Cluster
Contrast's release (``cluster_contrast_train_usl_infomap.py``):
docs/DESIGN.md, "Pseudo labels".

``infomap`` is an optional package (the ``infomap`` extra of setup.py).
"""

from __future__ import annotations

import importlib
from types import ModuleType

import numpy as np

from .knn import knn_search

INSTALL_COMMAND = 'pip install -e ".[infomap]"'
#: Infomap's own default seed, which the release's call leaves in place.
INFOMAP_SEED = 123
#: Peak bytes per k-NN edge of the labelling (edge arrays, their stacked copy, Infomap's network and
#: tree), measured: at most 240 on random 15-NN graphs of 13k-100k nodes, about 100 on clustered features.
INFOMAP_BYTES_PER_EDGE = 256


class InfomapDependencyError(ImportError):
    """The optional ``infomap`` package is not installed."""


def require_infomap() -> ModuleType:
    """The ``infomap`` module, or :class:`InfomapDependencyError` naming the extra to install."""
    try:
        return importlib.import_module("infomap")
    except ImportError as error:
        raise InfomapDependencyError(
            f"InfoMap clustering (PSEUDO_LABELS.METHOD infomap) needs the optional package infomap. Install it "
            f"with: {INSTALL_COMMAND}  (from the repository root; or pip install infomap), or choose another "
            f"PSEUDO_LABELS.METHOD such as dbscan.") from error


def similarity_edges(neighbours: tuple[np.ndarray, np.ndarray],
                     min_similarity: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The directed edges i → j of the k-NN graph of L2-normalised features,
    given their k-NN lists ``neighbours`` = (squared Euclidean distances,
    indices), N×k, closest first, each row's own index among them
    (:func:`~hhcl.clustering.knn_search`): j in the list of i, j ≠ i, with
    cosine similarity at least ``min_similarity``, weighted by it.

    The cosine distance of unit vectors is half their squared Euclidean
    distance; an edge is kept when 1 − cos ≤ 1 − ``min_similarity`` (float32,
    as the release compares) and weighs 1 − (1 − cos). Returns (sources,
    targets, weights), ordered by source, then closest target first.
    """
    squared_distances, indices = neighbours
    cosine_distances = np.asarray(squared_distances, dtype=np.float32) / np.float32(2)
    sources = np.broadcast_to(np.arange(indices.shape[0])[:, None], indices.shape)
    keep = (indices >= 0) & (indices != sources) & (cosine_distances <= np.float32(1 - min_similarity))
    weights = (np.float32(1) - cosine_distances[keep]).astype(np.float64)
    return sources[keep].astype(np.int64), indices[keep].astype(np.int64), weights


def infomap_modules(num_nodes: int, sources: np.ndarray, targets: np.ndarray, weights: np.ndarray,
                    seed: int = INFOMAP_SEED, num_trials: int = 1) -> np.ndarray:
    """The top-level module (0..M−1, Infomap's order) of each of ``num_nodes``
    nodes under two-level Infomap on the directed weighted links, added in
    the given order; −1 for a node without any link."""
    infomap = require_infomap()
    modules = np.full(num_nodes, -1, dtype=np.int64)
    if sources.size == 0:
        return modules
    solver = infomap.Infomap(two_level=True, directed=True, seed=seed, num_trials=num_trials)
    solver.add_links(np.column_stack([sources, targets, weights]).astype(np.float64))
    found = solver.run().modules()
    modules[np.fromiter(found.keys(), np.int64, len(found))] = np.fromiter(found.values(), np.int64, len(found)) - 1
    return modules


def labels_from_modules(modules: np.ndarray, max_outlier_size: int) -> np.ndarray:
    """Pseudo labels from Infomap's modules (−1: a node without links, its
    own cluster): clusters of at most ``max_outlier_size`` members become
    outliers (−1); the others are numbered 0..C−1 in module order, the
    link-less nodes' clusters last."""
    modules = np.asarray(modules, dtype=np.int64)
    clusters = modules.copy()
    isolated = modules < 0
    clusters[isolated] = modules.max(initial=-1) + 1 + np.arange(int(isolated.sum()))
    kept = np.bincount(clusters, minlength=1) > max_outlier_size
    numbers = np.where(kept, np.cumsum(kept) - 1, -1)
    return numbers[clusters]


def infomap_cluster(features, k1: int = 15, min_similarity: float = 0.5, max_outlier_size: int = 4,
                    knn_index: str = "exact", neighbours: tuple[np.ndarray, np.ndarray] | None = None,
                    seed: int = INFOMAP_SEED, num_trials: int = 1) -> np.ndarray:
    """Pseudo labels (−1 = outlier) of L2-normalised N×d features (a torch
    tensor on any device, or a numpy array): :func:`similarity_edges` of the
    min(``k1``, N)-NN lists (``min_similarity``), :func:`infomap_modules`
    (two-level, directed), :func:`labels_from_modules` (``max_outlier_size``).
    The release's --k1 15, --eps 0.5, --k2 4 are the defaults; Infomap runs
    with its default seed and one trial, as there.

    The k-NN search (:func:`~hhcl.clustering.knn_search` with ``knn_index``)
    runs where the features are; with ``neighbours``, its (squared
    distances, indices), e.g. assembled from several processes' rows, no
    search is run.
    """
    if k1 < 1:
        raise ValueError(f"InfoMap needs k1 >= 1 neighbours, got k1={k1}")
    if not -1.0 <= min_similarity <= 1.0:
        raise ValueError(f"InfoMap's min_similarity is a cosine similarity in [-1, 1], got {min_similarity}")
    if max_outlier_size < 0:
        raise ValueError(f"InfoMap's max_outlier_size must be >= 0, got {max_outlier_size}")
    n = features.shape[0]
    if neighbours is None:
        neighbours = knn_search(features, min(k1, n), knn_index)
    elif neighbours[1].shape != (n, min(k1, n)):
        raise ValueError(f"neighbours must be the N×min(k1, N) = {n}×{min(k1, n)} k-NN lists, got shape "
                         f"{neighbours[1].shape}")
    sources, targets, weights = similarity_edges(neighbours, min_similarity)
    modules = infomap_modules(n, sources, targets, weights, seed=seed, num_trials=num_trials)
    return labels_from_modules(modules, max_outlier_size)


def infomap_stages(num_samples: int, k1: int) -> dict[str, dict[str, int]]:
    """Bytes on the CPU of :func:`infomap_cluster` after the k-NN search,
    every one of the N·(k1 − 1) possible edges counted (a
    :mod:`hhcl.clustering.memory_estimate` stage)."""
    k = min(k1, num_samples)
    return {"InfoMap": {"neighbour lists": 12 * num_samples * k,
                        "edges and Infomap's network": INFOMAP_BYTES_PER_EDGE * num_samples * (k - 1)}}
