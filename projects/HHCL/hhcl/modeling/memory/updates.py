"""In-place memory updates, vectorised over clusters (no loop over samples).

Every function takes a memory (rows = clusters), the batch features ``f``
(B×d, L2-normalised) and pseudo labels ``y`` (B,), updates the memory in place
under ``torch.no_grad`` and re-normalises the rows it touched.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def occurrence_rank(labels: torch.Tensor) -> torch.Tensor:
    """For each sample, how many earlier samples of the batch share its label
    (0 for the first occurrence of a label, 1 for the second, ...)."""
    order = torch.argsort(labels, stable=True)
    sorted_labels = labels[order]
    first = torch.searchsorted(sorted_labels, sorted_labels, side="left")
    rank = torch.empty_like(labels)
    rank[order] = torch.arange(labels.numel(), device=labels.device) - first
    return rank


def _blend(memory: torch.Tensor, rows: torch.Tensor, values: torch.Tensor, momentum: float) -> None:
    memory[rows] = F.normalize(momentum * memory[rows] + (1.0 - momentum) * values, dim=1)


@torch.no_grad()
def sequential_momentum_update(memory: torch.Tensor, f: torch.Tensor, y: torch.Tensor, momentum: float) -> None:
    """Cluster Contrast "CM": for each sample in batch order,
    ``M[y_j] ← normalise(m·M[y_j] + (1−m)·f_j)``. Samples are processed in
    rounds of their occurrence rank, so the k-th occurrences of all clusters
    are updated together and each cluster still sees its samples in order."""
    rank = occurrence_rank(y)
    for r in range(int(rank.max()) + 1):
        selected = rank == r
        _blend(memory, y[selected], f[selected], momentum)


@torch.no_grad()
def hardest_sample_update(memory: torch.Tensor, f: torch.Tensor, y: torch.Tensor, momentum: float) -> None:
    """Cluster Contrast "CMhard" (and the hard memory of HHCL's release): for
    each cluster in the batch, ``M[i] ← normalise(m·M[i] + (1−m)·f_hard)``
    where ``f_hard`` is its batch sample least similar to the current ``M[i]``
    (the first such sample on ties)."""
    num_clusters, batch = memory.shape[0], f.shape[0]
    similarity = (f * memory[y]).sum(dim=1)
    lowest = torch.full((num_clusters,), float("inf"), dtype=similarity.dtype, device=f.device)
    lowest = lowest.scatter_reduce(0, y, similarity, reduce="amin")
    index = torch.arange(batch, device=f.device)
    candidate = torch.where(similarity == lowest[y], index, batch)
    chosen = torch.full((num_clusters,), batch, dtype=index.dtype, device=f.device)
    chosen = chosen.scatter_reduce(0, y, candidate, reduce="amin")
    clusters = torch.nonzero(chosen < batch).squeeze(1)
    _blend(memory, clusters, f[chosen[clusters]], momentum)


@torch.no_grad()
def batch_mean_update(memory: torch.Tensor, f: torch.Tensor, y: torch.Tensor, momentum: float) -> None:
    """HHCL Eq. 4: for each cluster in the batch,
    ``c_i ← normalise(m·c_i + (1−m)·mean of its batch features)``."""
    num_clusters = memory.shape[0]
    sums = torch.zeros((num_clusters, f.shape[1]), dtype=f.dtype, device=f.device).index_add_(0, y, f)
    counts = torch.bincount(y, minlength=num_clusters)
    clusters = torch.nonzero(counts).squeeze(1)
    _blend(memory, clusters, sums[clusters] / counts[clusters, None].to(f.dtype), momentum)


@torch.no_grad()
def instance_overwrite_update(instances: torch.Tensor, f: torch.Tensor, y: torch.Tensor) -> None:
    """HHCL Eq. 8 (``m_k^i ← z_k^i``): the batch's n samples of cluster i, in
    batch order, overwrite slots 0..n−1 of ``instances[i]`` (C×K×d). Beyond K
    samples of one cluster (possible with gathered multi-process batches),
    the later ones are not stored."""
    rank = occurrence_rank(y)
    kept = rank < instances.shape[1]
    instances[y[kept], rank[kept]] = F.normalize(f[kept], dim=1)
