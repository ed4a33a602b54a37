"""k-nearest-neighbour search of a feature set against itself (faiss)."""

from __future__ import annotations

import faiss
import numpy as np

INDEXES = ("exact", "hnsw")


def as_float32_features(features) -> np.ndarray:
    """C-contiguous float32 N×d array of the features (torch or numpy); a
    clear error for NaN/inf or a wrong shape."""
    if hasattr(features, "detach"):
        features = features.detach().cpu().numpy()
    features = np.ascontiguousarray(features, dtype=np.float32)
    if features.ndim != 2 or features.shape[0] == 0:
        raise ValueError(f"features must be a non-empty N×d array, got shape {features.shape}")
    finite = np.isfinite(features).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise ValueError(f"features contain NaN or inf in {bad.size} rows (first: {bad[:5].tolist()}); "
                         f"the model's outputs diverged or the features were not extracted correctly")
    return features


def knn_search(features: np.ndarray, k: int, index: str = "exact") -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of each row by Euclidean distance, the row
    itself included. Returns (squared distances, indices), both N×k, closest
    first.

    ``index``: ``exact`` (faiss ``IndexFlatL2``) or ``hnsw`` (approximate,
    ``IndexHNSWFlat`` with 32 links per node, for very large N).
    """
    n, dim = features.shape
    if index == "exact":
        searcher = faiss.IndexFlatL2(dim)
    elif index == "hnsw":
        searcher = faiss.IndexHNSWFlat(dim, 32)
        searcher.hnsw.efConstruction = 80
        searcher.hnsw.efSearch = max(64, 2 * k)
    else:
        raise ValueError(f"Unknown k-NN index {index!r}; choose one of {', '.join(INDEXES)}")
    searcher.add(features)
    squared_distances, indices = searcher.search(features, k)
    return squared_distances, indices.astype(np.int64, copy=False)
