"""The sparse Jaccard distance equals the dense definition."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from hhcl.clustering import jaccard_distance, jaccard_from_neighbours, knn_search

from ..helpers import identities
from .reference import brute_force_neighbours, dense_jaccard


def densify(sparse, fill=1.0):
    dense = np.full(sparse.shape, fill, dtype=np.float32)
    coo = sparse.tocoo()
    dense[coo.row, coo.col] = coo.data
    return dense


@pytest.mark.parametrize("k1, k2", [(30, 6), (20, 1), (12, 4), (7, 3)])
def test_equals_dense_definition(k1, k2):
    features = identities()
    _, neighbours = knn_search(features, k1)
    expected = dense_jaccard(features, neighbours, k2)
    got = jaccard_from_neighbours(features, neighbours, k2)
    assert got.dtype == np.float32 and got.shape == expected.shape
    np.testing.assert_allclose(densify(got), expected, atol=1e-5, rtol=0)
    stored = got.tocoo()
    assert np.all(expected[stored.row, stored.col] < 1)                # only pairs below max_distance
    assert got.nnz == np.count_nonzero(expected < 1)                   # ... and all of them
    assert np.all(got.diagonal() == 0) and np.count_nonzero(np.diff(got.indptr)) == len(features)


def test_equals_dense_definition_at_2000_samples():
    features = identities(n_ids=170, per_id=(4, 18), dim=48, duplicates=60, outliers=50, seed=3)[:2000]
    _, neighbours = knn_search(features, 30)
    np.testing.assert_allclose(densify(jaccard_from_neighbours(features, neighbours, 6)),
                               dense_jaccard(features, neighbours, 6), atol=1e-5, rtol=0)


def test_public_function_with_its_own_exact_knn():
    rng = np.random.default_rng(5)
    features = rng.normal(size=(400, 24)).astype(np.float32)
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    expected = dense_jaccard(features, brute_force_neighbours(features, 20), 6)
    np.testing.assert_allclose(densify(jaccard_distance(features, k1=20, k2=6)), expected, atol=1e-5, rtol=0)


def test_knn_matches_brute_force():
    features = identities(duplicates=0)
    squared_distance, neighbours = knn_search(features, 10)
    reference = brute_force_neighbours(features, 10)
    x = features.astype(np.float64)
    exact = np.take_along_axis(((x[:, None] - x[None]) ** 2).sum(-1), reference, axis=1)
    np.testing.assert_allclose(squared_distance, exact, atol=1e-5)
    assert (neighbours == reference).mean() > 0.999


@pytest.mark.parametrize("max_distance", [0.3, 0.6])
def test_max_distance_keeps_exactly_the_closer_pairs(max_distance):
    features = identities()
    _, neighbours = knn_search(features, 20)
    expected = dense_jaccard(features, neighbours, 6)
    got = jaccard_from_neighbours(features, neighbours, 6, max_distance=max_distance)
    assert got.nnz == np.count_nonzero(expected < max_distance)
    np.testing.assert_allclose(densify(got, fill=max_distance), np.minimum(expected, max_distance), atol=1e-5)


def test_unnormalised_features_use_true_squared_distances():
    features = identities() * np.random.default_rng(1).uniform(0.5, 3.0, (1, 1)).astype(np.float32)
    features = features * np.random.default_rng(2).uniform(0.5, 2.0, (len(features), 1)).astype(np.float32)
    expected = dense_jaccard(features, brute_force_neighbours(features, 20), 6)
    np.testing.assert_allclose(densify(jaccard_distance(features, k1=20, k2=6)), expected, atol=1e-5, rtol=0)


def test_a_subset_of_rows():
    features = identities()
    rows = np.array([5, 0, 77, 300])
    full = jaccard_distance(features, k1=20, k2=6)
    part = jaccard_distance(features, k1=20, k2=6, rows=rows)
    assert part.shape == (4, len(features))
    np.testing.assert_array_equal(part.toarray(), full[rows].toarray())


def test_fewer_samples_than_k1(caplog):
    features = identities(n_ids=3, per_id=(3, 4), duplicates=0, outliers=0)
    with caplog.at_level(logging.WARNING):
        got = jaccard_distance(features, k1=30, k2=6)
    assert "fewer than k1=30" in caplog.text
    n = len(features)
    expected = dense_jaccard(features, brute_force_neighbours(features, n), 6)
    np.testing.assert_allclose(densify(got), expected, atol=1e-5)


def test_identical_points():
    features = np.ones((50, 8), dtype=np.float32) / np.sqrt(8)
    got = jaccard_distance(features, k1=10, k2=3)
    dense = densify(got)
    assert np.isfinite(dense).all() and (dense >= 0).all() and (dense <= 1).all()
    assert got.nnz > 0


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_features_are_a_clear_error(bad):
    features = identities()
    features[7, 3] = bad
    with pytest.raises(ValueError, match="NaN or inf in 1 rows .first: \\[7\\]"):
        jaccard_distance(features)


def test_memory_is_linear_in_n(tmp_path):
    """20,000 samples: an N×N float32 array alone would be 1.6 GB."""
    import subprocess
    import sys

    code = (
        "import resource, numpy as np\n"
        "from hhcl.clustering import jaccard_distance\n"
        "rng = np.random.default_rng(0)\n"
        "x = np.repeat(rng.normal(size=(2000, 64)), 10, 0) + 0.3 * rng.normal(size=(20000, 64))\n"
        "x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)\n"
        "jaccard_distance(x[:500], k1=30, k2=6)\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "d = jaccard_distance(x, k1=30, k2=6, max_distance=0.6)\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print((after - before) / 1024, d.nnz)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    growth_mb, nnz = result.stdout.split()
    assert float(growth_mb) < 400, growth_mb
    assert int(nnz) > 20000
