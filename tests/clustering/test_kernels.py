"""The compiled loops compute each number by one fixed sequence of float64
operations: dot products equal the plain sequential sums bit for bit
whichever row computes them, and the Jaccard matrix, each pair computed
once and mirrored, equals its row-by-row computation bit for bit in any
batching."""

from __future__ import annotations

import numpy as np
import pytest

from hhcl.clustering import _kernels, jaccard_distance, knn_search

from ..helpers import identities


def sequential_dot(x: np.ndarray, y: np.ndarray) -> float:
    """Σ_d x[d]·y[d] in float64, d = 0, 1, … (Python floats are float64)."""
    total = 0.0
    for a, b in zip(x.tolist(), y.tolist()):
        total += a * b
    return total


def test_pair_dots_are_the_sequential_sums_with_or_without_a_mirrored_entry():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(60, 37)).astype(np.float32)  # 37: not a multiple of the 8 interleaved sums
    stored = rng.random((60, 60)) < 0.3
    np.fill_diagonal(stored, True)
    stored[rng.random((60, 60)) < 0.15] = False                 # some pairs stored one way only
    indptr = np.concatenate([[0], np.cumsum(stored.sum(axis=1))]).astype(np.int64)
    indices = np.nonzero(stored)[1].astype(np.int64)
    norms = _kernels._squared_norms(features)
    dots = np.full(indices.size, np.nan)
    _kernels._pair_dots(features, norms, indptr, indices, _kernels._chunk_bounds(60), dots)
    rows = np.repeat(np.arange(60), np.diff(indptr))
    expected = [sequential_dot(features[i], features[j]) for i, j in zip(rows, indices)]
    assert dots.tolist() == expected
    assert norms.tolist() == [sequential_dot(row, row) for row in features]


@pytest.mark.parametrize("max_distance", [0.3, 0.6, 1.0])
def test_mirrored_upper_triangle_equals_row_by_row_in_any_batching(monkeypatch, max_distance):
    features = identities(seed=4)
    full = jaccard_distance(features, k1=20, k2=6, max_distance=max_distance)
    assert (full != full.T).nnz == 0                                   # symmetric bit for bit
    row_by_row = jaccard_distance(features, k1=20, k2=6, max_distance=max_distance,
                                  rows=np.arange(len(features)))       # every row computed on its own
    assert np.array_equal(full.indptr, row_by_row.indptr) and np.array_equal(full.indices, row_by_row.indices)
    assert np.array_equal(full.data, row_by_row.data)
    monkeypatch.setattr(_kernels, "_PAIR_BUFFER_ENTRIES", 50)          # many small batches
    batched = jaccard_distance(features, k1=20, k2=6, max_distance=max_distance)
    assert np.array_equal(full.indices, batched.indices) and np.array_equal(full.data, batched.data)


@pytest.mark.parametrize("max_distance", [0.1, 0.45, 0.6, 0.9])
def test_pair_capacity_bounds_the_stored_pairs(max_distance):
    features = identities(seed=5, duplicates=80)
    _, neighbours = knn_search(features, 20)
    ranks = _kernels.reciprocal_ranks(neighbours)
    r1 = _kernels.reciprocal_neighbours(neighbours, ranks, 20)
    rh = _kernels.reciprocal_neighbours(neighbours, ranks, 10)
    v = _kernels.query_expansion(neighbours, 6, _kernels.expanded_weights(features, r1, rh))
    rows = np.arange(len(features), dtype=np.int64)
    c_ptr, _, _ = _kernels._columns(*v)
    for upper in (True, False):
        capacity = _kernels._pair_capacity(rows, upper, v[0], v[1], v[2], c_ptr, max_distance)
        indptr, indices, _ = _kernels.jaccard_from_weights(v, max_distance, None if upper else rows)
        stored = np.diff(indptr) if not upper else np.bincount(
            np.repeat(rows, np.diff(indptr))[indices >= np.repeat(rows, np.diff(indptr))], minlength=rows.size)
        assert (stored <= capacity).all()
        if max_distance <= 0.6:  # DBSCAN's range of eps: a tight bound
            assert capacity.sum() < 10 * stored.sum()
