"""CMC, mAP and mINP exactly as FastReID's ``eval_market1501``, without its
per-query Python loops over the gallery, under FastReID's protocol or the
camera-free one (docs/DESIGN.md, "Your own data")."""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

#: ``cameras``: FastReID's (a query's gallery loses the images of its identity
#: and camera); ``camera_free``: a query's gallery loses the query image itself.
PROTOCOLS = ("cameras", "camera_free")


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


def _check_protocol(protocol: str) -> None:
    if protocol not in PROTOCOLS:
        raise ValueError(f"Unknown evaluation protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")


def image_keys(q_images: Sequence | None, g_images: Sequence | None, num_query: int,
               num_gallery: int) -> tuple[np.ndarray, np.ndarray]:
    """Query and gallery images as ints, equal exactly for the same image
    (without images given: no gallery item is a query's image)."""
    if q_images is None or g_images is None:
        return np.arange(num_query, dtype=np.int64), np.full(num_gallery, -1, dtype=np.int64)
    keys: dict = {}
    q_keys = np.array([keys.setdefault(image, len(keys)) for image in q_images], dtype=np.int64)
    g_keys = np.array([keys.get(image, -1) for image in g_images], dtype=np.int64)
    return q_keys, g_keys


def evaluable_queries(q_pids: np.ndarray, g_pids: np.ndarray, q_camids: np.ndarray, g_camids: np.ndarray, *,
                      protocol: str = "cameras", q_images: Sequence | None = None,
                      g_images: Sequence | None = None) -> np.ndarray:
    """Which queries have a true match left in their gallery under
    ``protocol`` (the queries :func:`evaluate_rank` scores), from counts:
    no distances needed."""
    _check_protocol(protocol)
    per_identity = Counter(g_pids.tolist())
    if protocol == "cameras":
        q_left, g_left = q_camids.tolist(), g_camids.tolist()
    else:
        q_left, g_left = (keys.tolist() for keys in image_keys(q_images, g_images, len(q_pids), len(g_pids)))
    left_out = Counter(zip(g_pids.tolist(), g_left))
    return np.array([per_identity[pid] > left_out[(pid, key)] for pid, key in zip(q_pids.tolist(), q_left)],
                    dtype=bool)


def evaluate_rank(distmat: np.ndarray, q_pids: np.ndarray, g_pids: np.ndarray, q_camids: np.ndarray,
                  g_camids: np.ndarray, max_rank: int = 50, *, protocol: str = "cameras",
                  q_images: Sequence | None = None,
                  g_images: Sequence | None = None) -> tuple[np.ndarray, list[float], list[float]]:
    """Drop-in for ``fastreid.evaluation.rank.evaluate_rank`` (Market-1501
    metric), under ``protocol``:

    - ``cameras`` (FastReID's): for each query, gallery items of the same
      identity and camera are discarded;
    - ``camera_free``: for each query, only the gallery items that are the
      query image itself (equal ``q_images[q]`` and ``g_images[g]``, e.g. the
      path; none when the images are not given) are discarded; cameras are
      not read.

    Queries without a remaining true match (same identity) are skipped.
    Gallery items are ranked by distance, ties in ``numpy.argsort`` order.

    Returns (CMC float32 of length ``max_rank``, AP per valid query, INP per
    valid query); under ``cameras`` the same values as FastReID's Python and
    Cython paths, including the order of tied distances.
    """
    _check_protocol(protocol)
    num_query, num_gallery = distmat.shape
    max_rank = min(max_rank, num_gallery)
    if protocol == "camera_free":
        q_keys, g_keys = image_keys(q_images, g_images, num_query, num_gallery)
    first_hits = np.zeros(max_rank, dtype=np.int64)
    all_ap, all_inp = [], []
    for q in range(num_query):
        matches = g_pids == q_pids[q]
        if protocol == "cameras":
            kept = ~(matches & (g_camids == q_camids[q]))
        else:
            kept = g_keys != q_keys[q]
        positions = _query_metrics(distmat[q], matches, kept)
        if positions is None:
            continue
        if positions[0] < max_rank:
            first_hits[positions[0]] += 1
        hits = np.arange(1, positions.size + 1)
        all_ap.append(float((hits / (positions + 1.0)).sum() / positions.size))
        all_inp.append(positions.size / (positions[-1] + 1.0))
    if not all_ap:
        if protocol == "cameras":
            raise ValueError("No query has a true match in the gallery from another camera: check the query "
                             "and gallery identities and cameras (or evaluate with TEST.PROTOCOL camera_free)")
        raise ValueError("No query has a true match in the gallery other than itself: check that query and gallery "
                         "share identities")
    cmc = np.cumsum(first_hits).astype(np.float32) / len(all_ap)
    return cmc, all_ap, all_inp
