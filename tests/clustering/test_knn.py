"""knn_search: the torch search gives faiss exact's lists (up to float
rounding among near-equal distances), with the same tie rule; shards of rows
assemble into the whole search; auto, faiss_gpu and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hhcl.clustering import agglomerative, as_singletons, jaccard_dbscan, knn_search, shard_rows
from hhcl.clustering.knn import check_index_available, exact_distances, resolve_index
from hhcl.clustering.torch_knn import torch_knn

from ..helpers import identities
from .reference import brute_force_neighbours


def lattice(n: int = 300, dim: int = 6, seed: int = 0) -> np.ndarray:
    """Small-integer features: float32 computes every distance exactly, and
    many are equal (ties everywhere, exact duplicates among them)."""
    return np.random.default_rng(seed).integers(0, 3, (n, dim)).astype(np.float32)


def assert_equal_up_to_ties(expected: tuple, got: tuple, tolerance: float) -> None:
    """Same distances (within ``tolerance``) and the same neighbours, except
    that neighbours whose distances lie within ``tolerance`` of each other
    may swap places, and where such near-ties straddle the k-th place either
    may be kept."""
    (expected_d, expected_i), (got_d, got_i) = expected, got
    np.testing.assert_allclose(got_d, expected_d, atol=tolerance, rtol=0)
    for row in range(expected_i.shape[0]):
        near_boundary = expected_d[row] >= expected_d[row, -1] - tolerance
        near_other = np.abs(expected_d[row, :, None] - expected_d[row, None, :]) <= tolerance
        swappable = near_other.sum(1) > 1
        fixed = ~swappable & ~near_boundary
        assert np.array_equal(got_i[row, fixed], expected_i[row, fixed]), row
        assert set(got_i[row, ~near_boundary]) == set(expected_i[row, ~near_boundary]), row


@pytest.mark.parametrize("k", [1, 2, 7, 30, 300])
def test_torch_equals_faiss_exact_on_data_with_ties(k):
    features = lattice()
    expected = knn_search(features, k, "exact")
    got = knn_search(features, k, "torch", chunk_bytes=4 * 300 * 7)  # 7 rows per chunk: many chunks
    assert got[0].dtype == np.float32 and got[1].dtype == np.int64 and got[1].shape == (300, k)
    np.testing.assert_array_equal(got[1], expected[1])
    np.testing.assert_array_equal(got[0], expected[0])


def test_tie_rule_is_distance_then_lower_index():
    """Against the definition (float64 distances, stable sort): ties ordered
    by index and, straddling the k-th place, the lower indices kept; a row
    with an exact duplicate of lower index lists that duplicate first."""
    features = lattice(n=120, dim=4, seed=2)
    for k in (5, 16):
        reference = brute_force_neighbours(features, k)
        _, got = knn_search(features, k, "torch")
        np.testing.assert_array_equal(got, reference)
    duplicated = np.repeat(features[:10], 2, axis=0)  # rows 2i and 2i+1 equal
    _, got = knn_search(duplicated, 3, "torch")
    np.testing.assert_array_equal(got[1::2, :2], np.stack([np.arange(0, 20, 2), np.arange(1, 20, 2)], axis=1))


def test_torch_equals_faiss_exact_on_data_without_ties():
    rng = np.random.default_rng(1)
    features = rng.standard_normal((1500, 48)).astype(np.float32)
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    expected = knn_search(features, 30, "exact")
    got = knn_search(torch.from_numpy(features), 30, "torch", chunk_bytes=4 * 1500 * 100)
    assert_equal_up_to_ties(expected, got, tolerance=1e-5)
    assert (got[1] == expected[1]).mean() > 0.999


def test_rows_and_shards_assemble_into_the_whole_search():
    features = identities(seed=4)
    n = len(features)
    whole = knn_search(features, 20, "torch")
    for world_size in (1, 2, 3, 7):
        shards = [shard_rows(n, rank, world_size) for rank in range(world_size)]
        assert shards[0].start == 0 and shards[-1].stop == n
        assert all(a.stop == b.start for a, b in zip(shards, shards[1:]))
        assert max(s.stop - s.start for s in shards) - min(s.stop - s.start for s in shards) <= 1
        for index in ("torch", "exact"):
            parts = [knn_search(features, 20, index, rows=rows) for rows in shards]
            np.testing.assert_array_equal(np.concatenate([p[1] for p in parts]), whole[1])


def test_torch_knn_stays_on_the_features_device_and_within_its_chunk():
    features = torch.from_numpy(lattice(n=50))
    distances, indices = torch_knn(features, 4, slice(10, 20), chunk_bytes=1)  # one row per chunk
    assert distances.device == features.device and indices.shape == (10, 4)
    np.testing.assert_array_equal(indices.numpy(), knn_search(features.numpy(), 4, "exact", rows=slice(10, 20))[1])


def test_jaccard_dbscan_and_agglomerative_labels_unchanged_by_the_torch_index():
    features = identities(n_ids=50, dim=24, seed=7)
    labels = {index: jaccard_dbscan(features, eps=0.6, min_samples=4, k1=20, k2=6, knn_index=index)
              for index in ("exact", "torch")}
    np.testing.assert_array_equal(labels["torch"], labels["exact"])
    assert labels["exact"].max() >= 20  # clustered: most identities found
    # Agglomerative merges by the search's float32 distances (rounded differently by the two): data
    # without near-duplicates, so that no two merge costs are within rounding of each other.
    separated = torch.from_numpy(identities(n_ids=50, dim=24, duplicates=0, seed=7))
    merged = {index: agglomerative(separated, None, merge_percent=0.3, k=10, knn_index=index)
              for index in ("exact", "torch")}
    np.testing.assert_array_equal(merged["torch"], merged["exact"])


def test_hnsw_finds_the_exact_neighbours_and_labels_on_clustered_data():
    """The approximate index with its shipped parameters: nearly every exact
    neighbour found, the same Jaccard-DBSCAN clusters (ARI, outliers as
    singletons; benchmarks/bench_pseudo_labels.py measures it at 100,000)."""
    from sklearn.metrics import adjusted_rand_score

    features = identities(n_ids=150, dim=48, seed=3)
    _, exact = knn_search(features, 30, "exact")
    _, approximate = knn_search(features, 30, "hnsw")
    recall = np.mean([np.isin(a, e).mean() for a, e in zip(approximate, exact)])
    assert recall >= 0.98
    labels = {index: jaccard_dbscan(features, eps=0.6, min_samples=4, k1=30, k2=6, knn_index=index)
              for index in ("exact", "hnsw")}
    assert labels["exact"].max() >= 50
    assert adjusted_rand_score(as_singletons(labels["exact"]), as_singletons(labels["hnsw"])) >= 0.99


def test_exact_distances_recomputes_and_sorts_the_lists():
    """Against the definition in float64: the listed neighbours' squared
    distances, each row sorted by distance, then by index; a subset of query
    rows; blocks of any size give the same result."""
    features = lattice(n=80, dim=5, seed=4) + np.random.default_rng(4).normal(0, 0.01, (80, 5)).astype(np.float32)
    features[7] = features[3]  # an exact tie in row 0's list
    rng = np.random.default_rng(5)
    indices = np.stack([rng.permutation(80)[:9] for _ in range(20)])
    indices[0] = [7, 3, *[i for i in rng.permutation(80) if i not in (3, 7)][:7]]
    queries = features[10:30]
    for block in (1, 3, 256):
        distances, order = exact_distances(features, queries, indices, rows_per_block=block)
        for row in range(20):
            reference = ((features[indices[row]].astype(np.float64) - queries[row]) ** 2).sum(1)
            expected = indices[row][np.lexsort((indices[row], reference))]
            np.testing.assert_array_equal(order[row], expected)
            np.testing.assert_allclose(distances[row], np.sort(reference), rtol=1e-5, atol=1e-6)
    assert list(order[0]).index(3) < list(order[0]).index(7)


def test_hnsw_returns_the_exact_distances_of_what_it_finds():
    features = identities(n_ids=40, dim=16, seed=8)
    distances, indices = knn_search(features, 12, "hnsw", rows=slice(5, 50))
    assert indices.shape == (45, 12) and all(query in row for query, row in zip(range(5, 50), indices))
    reference = ((features[indices] - features[5:50, None, :]) ** 2).sum(2)
    np.testing.assert_allclose(distances, reference, rtol=1e-5, atol=1e-6)
    assert (np.diff(distances, axis=1) >= 0).all()


def test_auto_is_exact_on_the_cpu():
    assert resolve_index("auto", np.zeros((2, 2))) == "exact"
    assert resolve_index("auto", torch.zeros(2, 2)) == "exact"
    assert resolve_index("hnsw", torch.zeros(2, 2)) == "hnsw"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_auto_is_torch_on_a_gpu_and_equals_exact():
    features = torch.from_numpy(lattice()).cuda()
    assert resolve_index("auto", features) == "torch"
    np.testing.assert_array_equal(knn_search(features, 30, "auto")[1], knn_search(features.cpu(), 30, "exact")[1])


def _faiss_gpu_usable() -> bool:
    import faiss
    return hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0


@pytest.mark.skipif(not _faiss_gpu_usable(), reason="needs a GPU build of faiss and a GPU")
def test_faiss_gpu_equals_exact_up_to_ties():
    rng = np.random.default_rng(3)
    features = rng.standard_normal((3000, 64)).astype(np.float32)
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    assert_equal_up_to_ties(knn_search(features, 30, "exact"), knn_search(torch.from_numpy(features).cuda(), 30,
                                                                          "faiss_gpu"), tolerance=1e-5)


def test_unknown_index_and_bad_input_are_clear_errors():
    with pytest.raises(ValueError, match="Unknown k-NN index 'flat'; choose one of auto, exact, hnsw, torch, "
                                         "faiss_gpu"):
        knn_search(lattice(), 3, "flat")
    bad = torch.from_numpy(lattice(n=20))
    bad[[3, 7]] = float("nan")
    with pytest.raises(ValueError, match=r"NaN or inf in 2 rows \(first: \[3, 7\]\)"):
        knn_search(bad, 3, "torch")
    with pytest.raises(ValueError, match="k must be between 1 and the number of samples \\(20\\), got 21"):
        knn_search(lattice(n=20), 21, "torch")


@pytest.mark.skipif(_faiss_gpu_usable(), reason="a GPU build of faiss and a GPU are here")
def test_faiss_gpu_without_a_gpu_build_names_the_extra():
    with pytest.raises(RuntimeError, match=r"faiss_gpu .*(pip install -e \"\.\[gpu\]\"|needs a GPU)"):
        check_index_available("faiss_gpu")
    with pytest.raises(RuntimeError, match="faiss_gpu"):
        knn_search(lattice(), 3, "faiss_gpu")
