"""hhcl.evaluation.evaluate_rank equals FastReID's Python evaluate_rank."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from hhcl.evaluation import evaluate_rank

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastreid.evaluation.rank import evaluate_rank as fastreid_evaluate_rank


def case(seed, num_query=40, num_gallery=300, num_ids=25, num_cams=4, quantum=None):
    rng = np.random.default_rng(seed)
    q_pids, g_pids = rng.integers(0, num_ids, num_query), rng.integers(0, num_ids + 5, num_gallery)
    q_cams, g_cams = rng.integers(0, num_cams, num_query), rng.integers(0, num_cams, num_gallery)
    distances = rng.random((num_query, num_gallery)).astype(np.float32)
    distances -= 0.3 * (q_pids[:, None] == g_pids[None, :])  # true matches tend to be closer
    if quantum:
        distances = (np.round(distances / quantum) * quantum).astype(np.float32)
    return distances, q_pids, g_pids, q_cams, g_cams


def assert_same(*args, max_rank=50):
    expected_cmc, expected_ap, expected_inp = fastreid_evaluate_rank(*args, max_rank=max_rank, use_cython=False)
    cmc, ap, inp = evaluate_rank(*args, max_rank=max_rank)
    assert cmc.dtype == expected_cmc.dtype and np.array_equal(cmc, expected_cmc)
    np.testing.assert_allclose(ap, expected_ap, rtol=1e-12, atol=0)
    assert inp == expected_inp


@pytest.mark.parametrize("seed", range(5))
def test_random_cases(seed):
    assert_same(*case(seed))


@pytest.mark.parametrize("quantum", [0.1, 0.02, 0.5])
def test_tied_distances(quantum):
    """Many matches tie with wrong items: the order must be FastReID's (numpy argsort)."""
    assert_same(*case(7, quantum=quantum))


def test_all_distances_equal():
    distances, q_pids, g_pids, q_cams, g_cams = case(8)
    assert_same(np.zeros_like(distances), q_pids, g_pids, q_cams, g_cams)


def test_queries_without_valid_match_and_single_camera_ids():
    distances, q_pids, g_pids, q_cams, g_cams = case(9, num_cams=2)
    g_cams[g_pids == q_pids[0]] = q_cams[0]      # query 0's id only in its own camera: skipped
    g_pids[g_pids == q_pids[1]] = -5             # query 1's id absent from the gallery: skipped
    cmc, ap, _ = evaluate_rank(distances, q_pids, g_pids, q_cams, g_cams)
    assert len(ap) < len(q_pids)
    assert_same(distances, q_pids, g_pids, q_cams, g_cams)


def test_small_gallery_and_max_rank():
    distances, q_pids, g_pids, q_cams, g_cams = case(10, num_query=5, num_gallery=12, num_ids=4)
    assert_same(distances, q_pids, g_pids, np.zeros_like(q_cams), g_cams + 1, max_rank=50)  # max_rank → 12
    assert_same(*case(11), max_rank=10)


def test_fewer_kept_items_than_max_rank():
    """FastReID crashes here (ragged CMC rows); the CMC stays defined: once a
    query's first match is found it counts at every later rank."""
    distances, q_pids, g_pids, q_cams, g_cams = case(13, num_query=5, num_gallery=12, num_ids=4, num_cams=2)
    cmc, ap, _ = evaluate_rank(distances, q_pids, g_pids, q_cams, g_cams, max_rank=50)
    assert cmc.shape == (12,) and np.all(np.diff(cmc) >= 0) and cmc[-1] == 1.0


def test_no_valid_query_is_a_clear_error():
    distances, q_pids, g_pids, q_cams, g_cams = case(12)
    with pytest.raises(ValueError, match="No query has a true match"):
        evaluate_rank(distances, q_pids, g_pids + 1000, q_cams, g_cams)
