"""CMC, mAP and mINP exactly as FastReID's ``eval_market1501``, without its
per-query Python loops over the gallery."""

from __future__ import annotations

import numpy as np


def _query_metrics(distances: np.ndarray, matches: np.ndarray, kept: np.ndarray):
    """Positions (0-based, among the kept gallery items, in FastReID's
    ranking order) of the query's true matches, or None if it has none."""
    positive = matches & kept
    num_positive = int(positive.sum())
    if num_positive == 0:
        return None
    positive_distance = np.sort(distances[positive])
    negative_distance = distances[kept & ~matches]
    if np.isin(negative_distance, positive_distance).any():
        # A true match ties a wrong one: the order is numpy's argsort's, as in FastReID.
        order = np.argsort(distances)
        hits = matches[order][kept[order]]
        return np.flatnonzero(hits)
    # Without such ties, a match's position = wrong items closer than it + matches before it.
    below = np.searchsorted(positive_distance, negative_distance, side="right")
    closer_negatives = np.cumsum(np.bincount(below, minlength=num_positive + 1))[:num_positive]
    return closer_negatives + np.arange(num_positive)


def evaluate_rank(distmat: np.ndarray, q_pids: np.ndarray, g_pids: np.ndarray, q_camids: np.ndarray,
                  g_camids: np.ndarray, max_rank: int = 50) -> tuple[np.ndarray, list[float], list[float]]:
    """Drop-in for ``fastreid.evaluation.rank.evaluate_rank`` (Market-1501
    metric): for each query, gallery items of the same identity and camera are
    discarded; queries without a remaining true match are skipped.

    Returns (CMC float32 of length ``max_rank``, AP per valid query, INP per
    valid query), the same values as FastReID's Python and Cython paths,
    including the order of tied distances.
    """
    num_query, num_gallery = distmat.shape
    max_rank = min(max_rank, num_gallery)
    first_hits = np.zeros(max_rank, dtype=np.int64)
    all_ap, all_inp = [], []
    for q in range(num_query):
        matches = g_pids == q_pids[q]
        kept = ~(matches & (g_camids == q_camids[q]))
        positions = _query_metrics(distmat[q], matches, kept)
        if positions is None:
            continue
        if positions[0] < max_rank:
            first_hits[positions[0]] += 1
        hits = np.arange(1, positions.size + 1)
        all_ap.append(float((hits / (positions + 1.0)).sum() / positions.size))
        all_inp.append(positions.size / (positions[-1] + 1.0))
    if not all_ap:
        raise ValueError("No query has a true match in the gallery from another camera: check the query "
                         "and gallery identities and cameras")
    cmc = np.cumsum(first_hits).astype(np.float32) / len(all_ap)
    return cmc, all_ap, all_inp
