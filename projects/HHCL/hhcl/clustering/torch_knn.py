"""Exact k-nearest-neighbour search with torch, where the features are (the
GPU when training on one): chunked matrix products and top-k, faiss's tie rule."""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch

#: Bytes of one chunk's distance block (rows × N float32) unless told otherwise.
DEFAULT_CHUNK_BYTES = 256 * 2**20


def chunk_rows(num_samples: int, chunk_bytes: int) -> int:
    """Query rows per chunk: as many as fit a ``rows × num_samples`` float32
    block in ``chunk_bytes`` (at least one)."""
    return max(1, chunk_bytes // (4 * num_samples))


@contextlib.contextmanager
def _full_float32_matmul() -> Iterator[None]:
    """float32 products at full precision (no TF32) while inside."""
    previous = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("highest")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(previous)


def torch_knn(features: torch.Tensor, k: int, rows: slice = slice(None),
              chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` nearest of all N rows of ``features`` (N×d float32, finite)
    to each of the rows ``rows``, by squared Euclidean distance
    ‖x‖² + ‖y‖² − 2x·y (clipped at 0, as faiss ``IndexFlatL2``). Returns
    (squared distances, indices), both len(rows)×k on the features' device,
    closest first.

    Ties follow faiss's exact search: order by (distance, index), so of
    equally distant neighbours the lower index comes first, and when ties
    straddle the k-th place the lower indices are kept. Memory beyond the
    features and the result: one block of rows of distances to all N, at
    most ``chunk_bytes`` (one row at least), and the N squared norms.
    """
    num_samples = features.shape[0]
    norms = features.square().sum(dim=1)
    queries, query_norms = features[rows], norms[rows]
    take = min(k + 1, num_samples)  # one more than k shows whether ties straddle the k-th place
    distances = torch.empty((queries.shape[0], k), dtype=torch.float32, device=features.device)
    indices = torch.empty((queries.shape[0], k), dtype=torch.int64, device=features.device)
    step = max(1, min(chunk_rows(num_samples, chunk_bytes), queries.shape[0]))
    buffer = torch.empty((step, num_samples), dtype=torch.float32, device=features.device)
    with _full_float32_matmul():
        for start in range(0, queries.shape[0], step):
            stop = min(start + step, queries.shape[0])
            block = torch.addmm(norms.unsqueeze(0), queries[start:stop], features.T, alpha=-2.0,
                                out=buffer[:stop - start])
            block.add_(query_norms[start:stop].unsqueeze(1)).clamp_(min=0.0)
            top_distances, top_indices = torch.topk(block, take, dim=1, largest=False, sorted=True)
            distances[start:stop], indices[start:stop] = _by_distance_then_index(block, top_distances,
                                                                                 top_indices, k)
    return distances, indices


def _by_distance_then_index(block: torch.Tensor, top_distances: torch.Tensor, top_indices: torch.Tensor,
                            k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first k of each row of ``block`` in (distance, index) order, given
    its ``take`` ≥ k smallest in any order among ties (torch.topk's)."""
    distances, indices = top_distances[:, :k], top_indices[:, :k]
    indices, by_index = torch.sort(indices, dim=1)
    distances, by_distance = torch.sort(distances.gather(1, by_index), dim=1, stable=True)
    indices = indices.gather(1, by_distance)
    if top_distances.shape[1] > k:
        # Rows whose (k+1)-th distance equals the k-th: topk chose among the
        # tied ones arbitrarily; keep the lowest indices, scanning the row.
        for row in torch.nonzero(top_distances[:, k] == top_distances[:, k - 1]).flatten().tolist():
            candidates = torch.nonzero(block[row] <= top_distances[row, k - 1]).flatten()  # ascending
            candidate_distances, order = torch.sort(block[row, candidates], stable=True)
            distances[row], indices[row] = candidate_distances[:k], candidates[order[:k]]
    return distances, indices
