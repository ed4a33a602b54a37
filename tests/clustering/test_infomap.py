"""InfoMap clustering equals the Cluster Contrast release's rule written
plainly (brute-force graph, Infomap run on it directly, the release's
outlier and numbering rule); tiny clusters become outliers; a clear error
without the optional package."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from hhcl.clustering import InfomapDependencyError, infomap_cluster, knn_search, require_infomap
from hhcl.clustering.infomap import INFOMAP_BYTES_PER_EDGE, infomap_stages, labels_from_modules, similarity_edges

from ..helpers import identities

infomap = pytest.importorskip("infomap")  # the optional extra, installed by requirements-test.txt


def release_rule(features: np.ndarray, k1: int, eps: float, k2: int) -> np.ndarray:
    """``cluster_contrast_train_usl_infomap.py`` from its definition: the k1
    nearest rows by inner product (the row itself included), distance
    1 − similarity in float32; links i → j in order of distance while
    distance ≤ 1 − eps (the row itself skipped), weight 1 − distance;
    ``Infomap("--two-level --directed")``; a row without links is its own
    cluster, numbered after the modules; clusters of at most k2 rows → −1;
    the rest numbered in ascending order of their old number."""
    similarity = features.astype(np.float32) @ features.astype(np.float32).T
    order = np.argsort(-similarity.astype(np.float64), axis=1, kind="stable")[:, :k1]
    solver = infomap.Infomap("--two-level --directed")
    single = []
    for i in range(len(features)):
        count = 0
        for j in order[i]:
            distance = np.float32(1) - similarity[i, j]
            if j == i:
                continue
            if distance > np.float32(1 - eps):
                break
            solver.add_link(int(i), int(j), float(np.float32(1) - distance))
            count += 1
        if count == 0:
            single.append(i)
    members: dict[int, list[int]] = {}
    if single != list(range(len(features))):
        for node, module in solver.run().modules().items():
            members.setdefault(module - 1, []).append(node)
    for i in single:
        members[len(members)] = [i]
    kept = sorted(label for label, nodes in members.items() if len(nodes) > k2)
    labels = np.full(len(features), -1)
    for new, old in enumerate(kept):
        labels[members[old]] = new
    return labels


def blobs(seed: int = 0, dim: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Well-separated clusters on the unit sphere: 12 of 6–20 rows, tiny
    ones of 1–4 rows, and one of exactly 5; with each row's blob."""
    rng = np.random.default_rng(seed)
    sizes = np.concatenate([rng.integers(6, 21, 12), [1, 2, 3, 4, 5]])
    centres = rng.normal(size=(sizes.size, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    blob = np.repeat(np.arange(sizes.size), sizes)
    x = centres[blob] + 0.04 * rng.normal(size=(blob.size, dim))
    order = rng.permutation(blob.size)
    x = x[order] / np.linalg.norm(x[order], axis=1, keepdims=True)
    return x.astype(np.float32), blob[order]


@pytest.mark.parametrize("k1, eps, k2", [(15, 0.5, 4), (8, 0.3, 2), (20, 0.7, 0)])
def test_equals_the_release_rule_on_a_noisy_graph(k1, eps, k2):
    features = identities()
    expected = release_rule(features, k1, eps, k2)
    got = infomap_cluster(features, k1=k1, min_similarity=eps, max_outlier_size=k2)
    assert got.dtype == np.int64
    assert np.array_equal(got, expected)
    assert 5 < got.max() + 1 < len(features) and (got == -1).any() == (k2 > 0)


def test_finds_the_blobs_and_makes_clusters_of_at_most_k2_outliers():
    features, blob = blobs()
    labels = infomap_cluster(features, k1=15, min_similarity=0.5, max_outlier_size=4)
    assert np.array_equal(labels, release_rule(features, 15, 0.5, 4))
    sizes = np.bincount(blob)
    tiny = sizes[blob] <= 4
    assert (labels[tiny] == -1).all() and (labels[~tiny] >= 0).all()
    # one label per blob of more than 4 rows, the exactly-5 one included
    pairs = set(zip(blob[~tiny].tolist(), labels[~tiny].tolist()))
    assert len(pairs) == len({b for b, _ in pairs}) == len({c for _, c in pairs}) == (sizes > 4).sum()
    assert sorted({c for _, c in pairs}) == list(range((sizes > 4).sum()))
    kept_all = infomap_cluster(features, k1=15, min_similarity=0.5, max_outlier_size=0)
    assert (kept_all >= 0).all() and kept_all.max() + 1 == sizes.size


def test_edges_are_the_neighbours_within_the_similarity_threshold():
    features, _ = blobs(seed=1)
    sources, targets, weights = similarity_edges(knn_search(features, 6), 0.5)
    similarity = features.astype(np.float64) @ features.T.astype(np.float64)
    expected = {(i, int(j)) for i in range(len(features)) for j in np.argsort(-similarity[i])[:6]
                if j != i and similarity[i, j] >= 0.5}
    assert set(zip(sources.tolist(), targets.tolist())) == expected
    np.testing.assert_allclose(weights, similarity[sources, targets], atol=1e-5)
    assert (np.diff(sources) >= 0).all()
    same_source = np.diff(sources) == 0
    assert (np.diff(weights)[same_source] <= 1e-6).all()  # closest target first


def test_outlier_rule_and_numbering():
    modules = np.array([2, 0, 0, -1, 1, 1, 1, 2, -1, 0, 2, 1])
    # module sizes 0: 3, 1: 4, 2: 3; two link-less nodes, each its own cluster after the modules
    assert labels_from_modules(modules, 3).tolist() == [-1, -1, -1, -1, 0, 0, 0, -1, -1, -1, -1, 0]
    assert labels_from_modules(modules, 2).tolist() == [2, 0, 0, -1, 1, 1, 1, 2, -1, 0, 2, 1]
    assert labels_from_modules(modules, 0).tolist() == [2, 0, 0, 3, 1, 1, 1, 2, 4, 0, 2, 1]
    assert labels_from_modules(np.full(3, -1), 1).tolist() == [-1, -1, -1]


def test_deterministic_and_small_inputs():
    features = identities(seed=3)
    assert np.array_equal(infomap_cluster(features), infomap_cluster(features))
    assert infomap_cluster(features[:1]).tolist() == [-1]
    assert infomap_cluster(features[:1], max_outlier_size=0).tolist() == [0]


def test_a_tensor_or_given_neighbours_give_the_same_labels():
    features = identities(seed=4)
    expected = infomap_cluster(features, k1=10)
    assert np.array_equal(infomap_cluster(torch.from_numpy(features), k1=10), expected)
    assert np.array_equal(infomap_cluster(features, k1=10, neighbours=knn_search(features, 10)), expected)
    with pytest.raises(ValueError, match=r"neighbours must be the N×min\(k1, N\)"):
        infomap_cluster(features, k1=10, neighbours=knn_search(features, 8))


def test_memory_estimate_counts_every_possible_edge():
    (stage,) = infomap_stages(12936, 15).values()
    assert stage == {"neighbour lists": 12 * 12936 * 15,
                     "edges and Infomap's network": INFOMAP_BYTES_PER_EDGE * 12936 * 14}
    assert infomap_stages(5, 15)["InfoMap"] == {"neighbour lists": 12 * 5 * 5,
                                                "edges and Infomap's network": INFOMAP_BYTES_PER_EDGE * 5 * 4}


@pytest.mark.parametrize("arguments, message", [
    (dict(k1=0), "k1 >= 1"), (dict(min_similarity=1.5), r"\[-1, 1\], got 1.5"),
    (dict(max_outlier_size=-1), ">= 0, got -1")])
def test_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        infomap_cluster(identities()[:20], **arguments)


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "infomap", None)  # import infomap now raises ImportError
    with pytest.raises(InfomapDependencyError, match=r'pip install -e "\.\[infomap\]"') as raised:
        require_infomap()
    assert "PSEUDO_LABELS.METHOD" in str(raised.value) and isinstance(raised.value, ImportError)
    with pytest.raises(InfomapDependencyError):
        infomap_cluster(identities()[:20])
