"""The labelers by PSEUDO_LABELS.METHOD: built from the config, equal to the
clustering functions they wrap, each with its own advice."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from fastreid.config import get_cfg

from hhcl import add_hhcl_config
from hhcl.clustering import agglomerative, jaccard_dbscan
from hhcl.labelers import (LABELER_REGISTRY, AgglomerativeLabeler, GroundTruthLabeler, JaccardDBSCANLabeler,
                           build_labeler, identity_labels)

from ..helpers import identities

ITEMS = [(f"img{i}.jpg", pid, f"cam{i % 3}") for i, pid in enumerate(["b", "a", "b", "c", "a", "c", "c", "b"] * 3)]


def clustered_features(seed: int = 0) -> torch.Tensor:
    """Three tight groups of 8 in 16 dimensions, in item order of ``ITEMS``'s identities."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 16))
    ids = identity_labels(ITEMS)
    features = centres[ids] + 0.05 * rng.normal(size=(len(ITEMS), 16))
    return torch.nn.functional.normalize(torch.as_tensor(features, dtype=torch.float32), dim=1)


def cfg_with(*options):
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_list(list(options))
    return cfg


def test_registered_methods():
    assert LABELER_REGISTRY.names() == ["agglomerative", "dbscan", "ground_truth", "infomap"]


def test_unknown_method_names_the_key_and_the_choices():
    with pytest.raises(ValueError, match="Unknown PSEUDO_LABELS.METHOD 'dbscn'; registered in LABELER: "
                                         "agglomerative, dbscan, ground_truth, infomap"):
        build_labeler(cfg_with("PSEUDO_LABELS.METHOD", "dbscn"), ITEMS)


def test_dbscan_labeler_is_jaccard_dbscan_with_the_configured_values():
    cfg = cfg_with("PSEUDO_LABELS.EPS", "0.5", "PSEUDO_LABELS.MIN_SAMPLES", "3", "PSEUDO_LABELS.K1", "9",
                   "PSEUDO_LABELS.K2", "3")
    labeler = build_labeler(cfg, ITEMS)
    assert isinstance(labeler, JaccardDBSCANLabeler)
    features = clustered_features()
    labels = labeler(features, previous=None)
    assert np.array_equal(labels, jaccard_dbscan(features.numpy(), eps=0.5, min_samples=3, k1=9, k2=3))
    assert len(set(labels.tolist()) - {-1}) == 3
    assert "PSEUDO_LABELS.EPS (now 0.5)" in labeler.advice(0) and "MIN_SAMPLES (now 3)" in labeler.advice(0)
    assert "Lower PSEUDO_LABELS.EPS" in labeler.advice(1) and "K1 (now 9)" in labeler.advice(1)


def test_agglomerative_labeler_merges_from_its_previous_labels():
    cfg = cfg_with("PSEUDO_LABELS.METHOD", "agglomerative", "PSEUDO_LABELS.MERGE_PERCENT", "0.25",
                   "PSEUDO_LABELS.KNN", "5")
    labeler = build_labeler(cfg, ITEMS)
    assert isinstance(labeler, AgglomerativeLabeler)
    features = clustered_features()
    first = labeler(features, previous=None)
    second = labeler(features, previous=first)
    expected_first = agglomerative(features.numpy(), None, merge_percent=0.25, linkage="min", size_penalty=0.003, k=5)
    assert np.array_equal(first, expected_first)
    assert np.array_equal(second, agglomerative(features.numpy(), expected_first, merge_percent=0.25, linkage="min",
                                                size_penalty=0.003, k=5))
    assert len(set(second.tolist())) < len(set(first.tolist())) < len(ITEMS)
    assert "PSEUDO_LABELS.MERGE_PERCENT (now 0.25)" in labeler.advice(1)


def test_ground_truth_labeler_gives_the_identities_whatever_the_features():
    labeler = build_labeler(cfg_with("PSEUDO_LABELS.METHOD", "ground_truth"), ITEMS)
    assert isinstance(labeler, GroundTruthLabeler)
    labels = labeler(torch.randn(len(ITEMS), 4), previous=None)
    assert labels.tolist() == [{"a": 0, "b": 1, "c": 2}[pid] for _, pid, _ in ITEMS]
    labels[:] = -1  # the caller's copy
    assert labeler(torch.randn(len(ITEMS), 4), previous=None).min() == 0
    assert "single identity" in labeler.advice(1)


@pytest.mark.parametrize("method, duplicates", [("dbscan", 40), ("agglomerative", 0)])
def test_knn_index_torch_gives_the_labels_of_exact(method, duplicates):
    """Jaccard + DBSCAN uses the lists only (its weights are recomputed in
    float64), so near-duplicate images change nothing; agglomerative merges
    by the search's float32 distances, which the two compute with different
    rounding: equal where no two merge costs are that close."""
    features = torch.from_numpy(identities(n_ids=40, dim=24, duplicates=duplicates, seed=2))
    labels = {index: build_labeler(cfg_with("PSEUDO_LABELS.METHOD", method, "PSEUDO_LABELS.KNN_INDEX", index,
                                            "PSEUDO_LABELS.K1", "20"), ITEMS)(features, previous=None)
              for index in ("exact", "torch", "auto")}
    assert labels["exact"].max() >= 10
    np.testing.assert_array_equal(labels["torch"], labels["exact"])
    np.testing.assert_array_equal(labels["auto"], labels["exact"])  # auto on CPU features: exact


def test_default_knn_index_is_auto_and_a_bad_one_names_the_key():
    assert cfg_with().PSEUDO_LABELS.KNN_INDEX == "auto"
    for method in ("dbscan", "agglomerative"):
        with pytest.raises(ValueError, match="Unknown PSEUDO_LABELS.KNN_INDEX 'gpu'; choose one of auto, exact, "
                                             "hnsw, torch, faiss_gpu"):
            build_labeler(cfg_with("PSEUDO_LABELS.METHOD", method, "PSEUDO_LABELS.KNN_INDEX", "gpu"), ITEMS)


def test_faiss_gpu_without_a_gpu_build_stops_when_the_labeler_is_built():
    import faiss
    if hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0:
        pytest.skip("a GPU build of faiss with a GPU is installed")
    with pytest.raises(RuntimeError, match=r"faiss_gpu needs (faiss built with CUDA.*pip install -e \"\.\[gpu\]\"|"
                                           r"a GPU)"):
        build_labeler(cfg_with("PSEUDO_LABELS.KNN_INDEX", "faiss_gpu"), ITEMS)
