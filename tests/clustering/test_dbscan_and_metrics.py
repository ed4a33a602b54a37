"""DBSCAN equals sklearn's on the Jaccard matrices and on random graphs;
agglomerative merging and the quality metrics against brute force and
hand-computed values."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import scipy.sparse
from sklearn.cluster import DBSCAN

from hhcl.clustering import (agglomerative, dbscan, jaccard_dbscan, jaccard_from_neighbours, knn_search,
                             pseudo_label_quality, relabel_by_first_appearance)

from .reference import dense_jaccard
from ..helpers import identities


def test_relabel_by_first_appearance():
    assert relabel_by_first_appearance(np.array([4, -1, 4, 1, 7, 1, -1])).tolist() == [0, -1, 0, 1, 2, 1, -1]


@pytest.mark.parametrize("eps", [0.3, 0.45, 0.6])
def test_dbscan_on_sparse_equals_sklearn_on_dense(eps):
    features = identities(seed=1)
    _, neighbours = knn_search(features, 20)
    dense = dense_jaccard(features, neighbours, 6)
    expected = relabel_by_first_appearance(DBSCAN(eps=eps, min_samples=4, metric="precomputed").fit_predict(dense))
    sparse = jaccard_from_neighbours(features, neighbours, 6, max_distance=np.nextafter(np.float32(eps), 2))
    labels = dbscan(sparse, eps=eps, min_samples=4)
    assert labels.max() > 0
    assert labels.tolist() == expected.tolist()


def random_distances(rng: np.random.Generator, n: int) -> scipy.sparse.csr_matrix:
    """Asymmetric stored pairs, some exactly at float32(eps) for the eps below,
    some diagonal entries absent, some diagonal entries beyond eps."""
    stored = rng.random((n, n)) < rng.uniform(0.05, 0.4)
    values = rng.choice(np.float32([0.0, 0.3, 0.5, 0.6, 0.7]), (n, n))
    rows, columns = np.nonzero(stored)
    return scipy.sparse.csr_matrix((values[rows, columns], (rows, columns)), shape=(n, n))


@pytest.mark.parametrize("seed", range(3))
def test_dbscan_equals_sklearn_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        dist = random_distances(rng, int(rng.integers(1, 50)))
        eps, min_samples = float(rng.choice([0.3, 0.5, 0.6])), int(rng.integers(1, 6))
        for matrix in (dist, dist.toarray()):
            expected = DBSCAN(eps=eps, min_samples=min_samples, metric="precomputed").fit_predict(matrix)
            assert dbscan(matrix, eps, min_samples).tolist() == relabel_by_first_appearance(expected).tolist()


def test_a_border_point_goes_to_the_first_cluster_that_reaches_it():
    """Cores 0–3 and 5–8 form two clusters; 4 is within eps of 3 and of 5
    only (not core): the cluster found first (from point 0) takes it."""
    dense = np.full((9, 9), 1.0, np.float32)
    for block in (range(0, 4), range(5, 9)):
        dense[np.ix_(block, block)] = 0.1
    dense[4, 4] = 0.0
    dense[[3, 4, 4, 5], [4, 3, 5, 4]] = 0.2
    labels = dbscan(scipy.sparse.csr_matrix(np.where(dense < 1, dense, 0)), eps=0.3, min_samples=4)
    assert labels.tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert labels.tolist() == dbscan(dense, eps=0.3, min_samples=4).tolist()


@pytest.mark.parametrize("bad", [-0.1, np.nan, np.inf])
def test_dbscan_rejects_negative_or_non_finite_distances(bad):
    dist = scipy.sparse.csr_matrix(np.float32([[0, 0.2], [0.2, 0]]))
    dist.data[1] = bad
    with pytest.raises(ValueError, match="finite, non-negative distances"):
        dbscan(dist, eps=0.5)


def test_pipeline_equals_dbscan_on_the_dense_definition():
    features = identities(seed=2)
    _, neighbours = knn_search(features, 30)
    dense = dense_jaccard(features, neighbours, 6)
    expected = relabel_by_first_appearance(DBSCAN(eps=0.5, min_samples=4, metric="precomputed").fit_predict(dense))
    assert jaccard_dbscan(features, eps=0.5, min_samples=4, k1=30, k2=6).tolist() == expected.tolist()


def test_no_cluster_is_a_warning_and_all_outliers(caplog):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 64)).astype(np.float32)
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    with caplog.at_level(logging.WARNING):
        labels = jaccard_dbscan(features, eps=0.01, min_samples=4, k1=10, k2=3)
    assert (labels == -1).all()
    assert "0 clusters" in caplog.text and "Raise eps" in caplog.text


def test_identical_points_form_one_cluster():
    features = np.ones((30, 8), dtype=np.float32) / np.sqrt(8)
    assert jaccard_dbscan(features, eps=0.5, k1=10, k2=3).tolist() == [0] * 30


def brute_force_merge(features, labels, merges, linkage, penalty):
    """One BUC stage on the complete graph, written plainly."""
    n = len(features)
    distance = np.sqrt(np.maximum(0, 2 - 2 * features.astype(np.float64) @ features.T.astype(np.float64)))
    clusters = sorted(set(labels.tolist()))
    members = {c: [i for i in range(n) if labels[i] == c] for c in clusters}
    candidates = []
    for a in clusters:
        for b in clusters:
            if a < b:
                block = distance[np.ix_(members[a], members[b])]
                link = block.min() if linkage == "min" else block.mean()
                candidates.append((link + penalty * (len(members[a]) + len(members[b])), a, b))
    parent = {c: c for c in clusters}

    def root(c):
        while parent[c] != c:
            c = parent[c]
        return c

    done = 0
    for _, a, b in sorted(candidates, key=lambda t: t[0]):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
            done += 1
            if done == merges:
                break
    return relabel_by_first_appearance(np.array([root(c) for c in labels]))


@pytest.mark.parametrize("linkage, penalty", [("min", 0.0), ("min", 0.003), ("average", 0.0), ("average", 0.05)])
def test_agglomerative_stage_equals_brute_force_on_a_complete_graph(linkage, penalty):
    features = identities(n_ids=12, per_id=(2, 6), duplicates=0, outliers=5, seed=4)
    labels = None
    for _ in range(3):  # three stages from singletons
        start = np.arange(len(features)) if labels is None else labels
        merges = int(0.2 * len(features))                     # a fixed share of the samples (BUC)
        expected = brute_force_merge(features, start, merges, linkage, penalty)
        labels = agglomerative(features, start, merge_percent=0.2, linkage=linkage, size_penalty=penalty,
                               k=len(features) - 1)
        assert labels.tolist() == expected.tolist()
        assert labels.max() + 1 == start.max() + 1 - merges


def test_agglomerative_recovers_identities():
    features, ids = identities(n_ids=30, per_id=(5, 8), noise=0.2, duplicates=0, outliers=0, seed=6,
                               return_ids=True)
    per_stage = int(0.05 * len(features))
    labels = np.arange(len(features))
    while labels.max() + 1 - per_stage >= 30:                   # stop before a stage would go below 30
        labels = agglomerative(features, labels, merge_percent=0.05, k=10)
    assert 30 <= labels.max() + 1 < 30 + per_stage
    quality = pseudo_label_quality(labels, ids)
    assert quality["pairwise_precision"] > 0.95 and quality["ari"] > 0.85


def test_quality_metrics_hand_computed():
    quality = pseudo_label_quality(np.array([0, 0, 1, 1, -1]), np.array([7, 7, 7, 8, 8]))
    assert quality["num_clusters"] == 2 and quality["num_outliers"] == 1
    assert quality["pairwise_precision"] == pytest.approx(1 / 2)   # {0,1} right, {2,3} wrong
    assert quality["pairwise_recall"] == pytest.approx(1 / 4)      # id 7: 3 pairs, id 8: 1 pair
    perfect = pseudo_label_quality(np.array([1, 1, 0]), np.array([5, 5, 9]))
    assert perfect["nmi"] == pytest.approx(1) and perfect["ari"] == pytest.approx(1)
    assert perfect["pairwise_precision"] == perfect["pairwise_recall"] == 1
