#!/usr/bin/env python
"""Re-ID evaluation at Market-1501 test size: the plugin vs FastReID's Python path.

3,368 queries × 15,913 gallery images, d = 2048, 750 identities over 6
cameras (+ distractors in the gallery). Times, in one run: the cosine
distance matrix (FastReID's ``build_dist``, shared by both), FastReID's
``evaluate_rank(use_cython=False)``, the plugin's ``evaluate_rank`` (checked
equal), the plugin's CPU re-ranking (``TEST.RERANK``) over all 19,281
images, and for comparison the pseudo-label step (k-NN + Jaccard + DBSCAN)
on the same images; each with the peak memory it adds.

    python benchmarks/bench_eval.py

Reference (this machine): FastReID Python path 60 s, its Cython path 2.8 s.
Targets: ≥ 20× faster than the Python path, ≤ 2.8 s, < 2 GB.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import torch

import hhcl  # noqa: F401
from hhcl.clustering import jaccard_dbscan
from hhcl.evaluation import evaluate_rank, rerank_distance
from memory_stats import memory_mb, reset_peak_memory

NUM_QUERY, NUM_GALLERY, DIM, NUM_IDS, NUM_CAMS = 3368, 15913, 2048, 750, 6


def timed(function, *args, **kwargs):
    """(result, seconds, MB of peak memory above the memory at the start)."""
    reset_peak_memory()
    before = memory_mb("VmRSS")
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start, memory_mb("VmHWM") - before


def market_sized_features(seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((NUM_IDS + 1, DIM), dtype=np.float32)
    q_pids = np.repeat(np.arange(NUM_IDS), 5)[:NUM_QUERY]
    g_pids = np.concatenate([np.repeat(np.arange(NUM_IDS), 19), np.full(NUM_GALLERY - 19 * NUM_IDS, NUM_IDS)])
    q_cams, g_cams = rng.integers(0, NUM_CAMS, NUM_QUERY), rng.integers(0, NUM_CAMS, NUM_GALLERY)
    query = centres[q_pids] + 4.0 * rng.standard_normal((NUM_QUERY, DIM), dtype=np.float32)
    gallery = centres[g_pids] + 4.0 * rng.standard_normal((NUM_GALLERY, DIM), dtype=np.float32)
    return torch.from_numpy(query), torch.from_numpy(gallery), q_pids, g_pids, q_cams, g_cams


def main() -> None:
    from fastreid.utils.compute_dist import build_dist

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastreid.evaluation.rank import evaluate_rank as fastreid_evaluate_rank

    query, gallery, q_pids, g_pids, q_cams, g_cams = market_sized_features()
    dist, dist_s, dist_mb = timed(build_dist, query, gallery, "cosine")
    ids = (q_pids, g_pids, q_cams, g_cams)
    (theirs, theirs_s, theirs_mb) = timed(fastreid_evaluate_rank, dist, *ids, use_cython=False)
    (ours, ours_s, ours_mb) = timed(evaluate_rank, dist, *ids)
    same = np.array_equal(ours[0], theirs[0]) and np.allclose(ours[1], theirs[1], rtol=1e-12, atol=0) \
        and ours[2] == theirs[2]
    normalised = torch.nn.functional.normalize
    rerank, rerank_s, rerank_mb = timed(rerank_distance, normalised(query, dim=1), normalised(gallery, dim=1), 20, 6)
    everything = normalised(torch.cat([query, gallery]), dim=1).numpy()
    _, labels_s, labels_mb = timed(jaccard_dbscan, everything, eps=0.6, k1=30, k2=6)

    print(f"Market-1501 test size: {NUM_QUERY} queries × {NUM_GALLERY} gallery, d={DIM}")
    print("| step | seconds | peak MB added | note |")
    print("|---|--:|--:|---|")
    print(f"| distance matrix (build_dist, cosine) | {dist_s:.2f} | {dist_mb:.0f} | shared by both |")
    print(f"| FastReID evaluate_rank (Python) | {theirs_s:.2f} | {theirs_mb:.0f} | reference 60 s |")
    print(f"| hhcl evaluate_rank | {ours_s:.2f} | {ours_mb:.0f} | {theirs_s / ours_s:.0f}× faster; identical "
          f"metrics: {same}; target ≥20×, ≤2.8 s, <2 GB |")
    print(f"| hhcl re-ranking (k1=20, k2=6, 19,281 images) | {rerank_s:.2f} | {rerank_mb:.0f} | "
          f"q×g block {rerank.shape} |")
    print(f"| pseudo-label step on the same 19,281 images (k1=30, k2=6, eps 0.6) | {labels_s:.2f} | "
          f"{labels_mb:.0f} | what re-ranking should stay within |")
    print(f"mAP {100 * np.mean(ours[1]):.2f}  Rank-1 {100 * ours[0][0]:.2f}  mINP {100 * np.mean(ours[2]):.2f}")


if __name__ == "__main__":
    main()
