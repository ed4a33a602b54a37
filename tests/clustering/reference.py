"""The k-reciprocal Jaccard distance written plainly from its definition,
with dense N×N arrays (docs/DESIGN.md, "Pseudo labels", steps 1–6)."""

from __future__ import annotations

import numpy as np


def brute_force_neighbours(features: np.ndarray, k1: int) -> np.ndarray:
    """N(i): the k1 nearest rows by Euclidean distance (float64), i included."""
    x = features.astype(np.float64)
    distance = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    return np.argsort(distance, axis=1, kind="stable")[:, :k1]


def reciprocal(neighbours: np.ndarray, i: int, k: int) -> list[int]:
    """R(i, k): j in the first k+1 of N(i) with i in the first k+1 of N(j)."""
    return [int(j) for j in neighbours[i, :k + 1] if i in neighbours[j, :k + 1]]


def dense_jaccard(features: np.ndarray, neighbours: np.ndarray, k2: int) -> np.ndarray:
    n, k1 = neighbours.shape
    half = int(np.around(k1 / 2))
    r1 = [reciprocal(neighbours, i, k1) for i in range(n)]
    rh = [reciprocal(neighbours, i, half) for i in range(n)]
    v = np.zeros((n, n), dtype=np.float32)
    for i in range(n):
        expansion = set(r1[i])
        for c in r1[i]:
            if len(set(rh[c]) & set(r1[i])) > 2 / 3 * len(rh[c]):
                expansion |= set(rh[c])
        members = sorted(expansion)
        if not members:
            continue
        x, y = features[i].astype(np.float32), features[members].astype(np.float32)
        distance = (x ** 2).sum() + (y ** 2).sum(axis=1) - 2 * y @ x  # ‖x − y‖²
        weights = np.exp(-distance - (-distance).max())
        v[i, members] = weights / weights.sum()
    if k2 > 1:
        v = np.stack([v[neighbours[i, :k2]].mean(axis=0) for i in range(n)])
    jaccard = np.ones((n, n), dtype=np.float32)
    for i in range(n):
        columns = np.flatnonzero(v[i])
        shared = np.minimum(v[i, columns], v[:, columns]).sum(axis=1)  # Σ_k min(V[i,k], V[j,k])
        jaccard[i] = 1 - shared / (2 - shared)
    return np.maximum(jaccard, 0)
