"""The camera-free protocol: only the query image itself leaves its gallery.
Checked against a brute-force reference written from the definition."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from fastreid.config import get_cfg

from hhcl import add_hhcl_config
from hhcl.evaluation import (ReidEvaluator, check_evaluable, evaluable_queries, evaluate_rank,
                             select_protocol)
from hhcl.evaluation.rank import image_keys


def reference(distances, q_pids, g_pids, q_paths, g_paths, max_rank):
    """Per query: rank the gallery by distance (ties in numpy.argsort order),
    drop the query image itself, score the items of its identity."""
    first_hits, all_ap, all_inp = np.zeros(max_rank), [], []
    for q in range(len(q_pids)):
        ranked = [g for g in np.argsort(distances[q]) if g_paths[g] != q_paths[q]]
        hits = [g_pids[g] == q_pids[q] for g in ranked]
        if not any(hits):
            continue
        positions = [k for k, hit in enumerate(hits) if hit]
        if positions[0] < max_rank:
            first_hits[positions[0]:] += 1
        all_ap.append(np.mean([(n + 1) / (k + 1) for n, k in enumerate(positions)]))
        all_inp.append(len(positions) / (positions[-1] + 1))
    return first_hits / len(all_ap), all_ap, all_inp


def overlapping_split(seed, num_query=30, num_gallery=80, num_ids=12, shared=15):
    """Random ids, one camera, distances on a coarse grid (many ties); the
    first ``shared`` queries are also gallery images (distance 0 to
    themselves), the first 3 of them of an identity seen nowhere else."""
    rng = np.random.default_rng(seed)
    q_pids, g_pids = rng.integers(0, num_ids, num_query), rng.integers(0, num_ids, num_gallery)
    q_pids[:3] = num_ids + np.arange(3)
    q_paths = [f"q{i}.jpg" for i in range(num_query)]
    g_paths = [f"g{i}.jpg" for i in range(num_gallery)]
    slots = rng.choice(num_gallery, shared, replace=False)
    distances = rng.integers(0, 6, (num_query, num_gallery)).astype(np.float32) / 5
    for q, g in enumerate(slots):
        g_paths[g], g_pids[g], distances[q, g] = q_paths[q], q_pids[q], 0.0
    return distances, q_pids, g_pids, np.zeros(num_query, int), np.zeros(num_gallery, int), q_paths, g_paths


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("max_rank", [5, 50])
def test_camera_free_metrics_equal_the_brute_force_reference(seed, max_rank):
    distances, q_pids, g_pids, q_cams, g_cams, q_paths, g_paths = overlapping_split(seed)
    cmc, ap, inp = evaluate_rank(distances, q_pids, g_pids, q_cams, g_cams, max_rank, protocol="camera_free",
                                 q_images=q_paths, g_images=g_paths)
    expected_cmc, expected_ap, expected_inp = reference(distances, q_pids, g_pids, q_paths, g_paths,
                                                        min(max_rank, len(g_pids)))
    np.testing.assert_allclose(cmc, expected_cmc, rtol=1e-6)
    np.testing.assert_allclose(ap, expected_ap, rtol=1e-12)
    np.testing.assert_allclose(inp, expected_inp, rtol=1e-12)
    valid = evaluable_queries(q_pids, g_pids, q_cams, g_cams, protocol="camera_free", q_images=q_paths,
                              g_images=g_paths)
    assert valid.sum() == len(ap) < len(q_pids)   # some queries have only themselves in the gallery


def test_with_one_camera_only_camera_free_can_score():
    distances, q_pids, g_pids, q_cams, g_cams, q_paths, g_paths = overlapping_split(0)
    with pytest.raises(ValueError, match="from another camera.*TEST.PROTOCOL camera_free"):
        evaluate_rank(distances, q_pids, g_pids, q_cams, g_cams)
    assert not evaluable_queries(q_pids, g_pids, q_cams, g_cams).any()


def test_without_images_nothing_is_left_out():
    distances, q_pids, g_pids, q_cams, g_cams, _, _ = overlapping_split(1)
    cmc, ap, _ = evaluate_rank(distances, q_pids, g_pids, q_cams, g_cams, protocol="camera_free")
    expected_cmc, expected_ap, _ = reference(distances, q_pids, g_pids, list(range(len(q_pids))),
                                             [None] * len(g_pids), 50)
    np.testing.assert_allclose(cmc, expected_cmc, rtol=1e-6)
    np.testing.assert_allclose(ap, expected_ap, rtol=1e-12)
    assert np.array_equal(image_keys(None, None, 2, 3)[1], [-1, -1, -1])


@pytest.mark.parametrize("seed", range(4))
def test_evaluable_queries_are_the_scored_ones_under_both_protocols(seed):
    rng = np.random.default_rng(seed)
    q_pids, g_pids = rng.integers(0, 15, 40), rng.integers(0, 15, 60)
    q_cams, g_cams = rng.integers(0, 2, 40), rng.integers(0, 2, 60)
    distances = rng.random((40, 60))
    for protocol in ("cameras", "camera_free"):
        _, ap, _ = evaluate_rank(distances, q_pids, g_pids, q_cams, g_cams, protocol=protocol)
        assert evaluable_queries(q_pids, g_pids, q_cams, g_cams, protocol=protocol).sum() == len(ap)


def test_protocol_selection():
    assert select_protocol("auto", has_cameras=True) == "cameras"
    assert select_protocol("auto", has_cameras=False) == "camera_free"
    assert select_protocol("cameras", has_cameras=False) == "cameras"
    assert select_protocol("camera_free", has_cameras=True) == "camera_free"
    with pytest.raises(ValueError, match="TEST.PROTOCOL is 'none'; use one of auto, cameras, camera_free"):
        select_protocol("none", has_cameras=True)
    with pytest.raises(ValueError, match="Unknown evaluation protocol"):
        evaluate_rank(np.zeros((1, 1)), np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), protocol="auto")


def test_check_names_dataset_protocol_and_what_to_do(caplog):
    query = [("q0.jpg", 0, 0), ("q1.jpg", 1, 0)]
    gallery = [("q0.jpg", 0, 0), ("g1.jpg", 1, 0), ("g2.jpg", 2, 0)]
    with pytest.raises(ValueError) as error:
        check_evaluable("FolderDataset", query, gallery, "cameras")
    assert "FolderDataset cannot be evaluated under FastReID's protocol" in str(error.value)
    assert "TEST.PROTOCOL cameras" in str(error.value) and "TEST.PROTOCOL camera_free" in str(error.value)
    with caplog.at_level(logging.INFO, logger="hhcl.evaluation.protocol"):
        assert check_evaluable("FolderDataset", query, gallery, "camera_free") == 1
    assert "FolderDataset is evaluated under the camera-free protocol" in caplog.text
    assert "1 of 2 queries have a true match" in caplog.text
    with pytest.raises(ValueError, match="share identities.*ID_FROM"):
        check_evaluable("FolderDataset", query[:1], gallery, "camera_free")


def evaluator_results(protocol, roc=False):
    distances, q_pids, g_pids, q_cams, g_cams, q_paths, g_paths = overlapping_split(2, shared=10)
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(15, 8))
    q_feats = centres[q_pids] + 0.8 * rng.normal(size=(len(q_pids), 8))
    g_feats = centres[g_pids] + 0.8 * rng.normal(size=(len(g_pids), 8))
    shared = [g_paths.index(p) for p in q_paths if p in g_paths]
    q_feats[:len(shared)] = g_feats[shared]
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.TEST.ROC.ENABLED = roc
    evaluator = ReidEvaluator(cfg, len(q_pids), protocol=protocol)
    feats = torch.tensor(np.concatenate([q_feats, g_feats]), dtype=torch.float32)
    pids, cams = torch.tensor(np.concatenate([q_pids, g_pids])), torch.zeros(len(feats), dtype=torch.long)
    paths = q_paths + g_paths
    for start in range(0, len(feats), 32):
        batch = slice(start, start + 32)
        evaluator.process({"targets": pids[batch], "camids": cams[batch], "img_paths": paths[batch]}, feats[batch])
    return evaluator.evaluate(), (feats, q_pids, g_pids, q_paths, g_paths)


def test_evaluator_scores_camera_free_with_the_paths_of_its_batches():
    results, (feats, q_pids, g_pids, q_paths, g_paths) = evaluator_results("camera_free")
    nq = len(q_pids)
    distances = 1 - (torch.nn.functional.normalize(feats[:nq]) @ torch.nn.functional.normalize(feats[nq:]).T).numpy()
    cmc, ap, _ = reference(distances, q_pids, g_pids, q_paths, g_paths, 50)
    assert results["mAP"] == pytest.approx(100 * np.mean(ap), rel=1e-5)
    assert results["Rank-1"] == pytest.approx(100 * cmc[0], rel=1e-5)
    with pytest.raises(ValueError, match="another camera"):
        evaluator_results(None)   # default protocol: TEST.PROTOCOL auto on a test set with cameras


def test_evaluator_roc_leaves_out_only_the_query_image_camera_free(monkeypatch):
    import fastreid.evaluation.roc as roc

    pairs = []
    original = roc.evaluate_roc

    def counting(*args, **kwargs):
        scores, labels = original(*args, **kwargs)
        pairs.append((len(scores), int((labels == 0).sum())))
        return scores, labels

    monkeypatch.setattr(roc, "evaluate_roc", counting)
    results, (_, q_pids, g_pids, q_paths, g_paths) = evaluator_results("camera_free", roc=True)
    assert {"TPR@FPR=1e-04", "TPR@FPR=1e-03", "TPR@FPR=1e-02"} <= set(results)
    shared = len(set(q_paths) & set(g_paths))
    same_identity = int((q_pids[:, None] == g_pids[None, :]).sum())
    assert pairs == [(len(q_pids) * len(g_pids) - shared, same_identity - shared)]
