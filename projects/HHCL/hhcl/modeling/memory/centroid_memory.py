"""Cluster Contrast's memories: one centroid per cluster (modes ``mean`` and ``hard``)."""

from __future__ import annotations

from typing import Callable, Sequence

import torch

from .base import ClusterMemory
from .registry import MEMORY_REGISTRY, MemoryOptions
from .updates import hardest_sample_update, sequential_momentum_update


class CentroidMemory(ClusterMemory):
    """Loss ``CE(f Cᵀ/τ, y)`` (ClusterNCE; HHCL Eq. 3; label-smoothed in
    both smoothing modes). Update ``mean``:
    ``C[y_j] ← m·C[y_j] + (1−m)·f_j`` per sample in batch order; ``hard``:
    per cluster with its least similar batch sample."""

    def __init__(self, num_features: int, num_clusters: int, hard: bool = False, **kwargs):
        super().__init__(num_features, num_clusters, **kwargs)
        self.hard = hard

    def _losses(self, features: torch.Tensor, labels: torch.Tensor,
                on_backward: Sequence[Callable[[], None] | None]) -> dict[str, torch.Tensor]:
        return {"loss_cluster": self._centroid_cross_entropy(features, self.centroids, labels, on_backward[0])}

    def _memory_updates(self, features: torch.Tensor, labels: torch.Tensor) -> list[Callable[[], None]]:
        update = hardest_sample_update if self.hard else sequential_momentum_update
        return [lambda: update(self.centroids, features, labels, self.momentum)]

    def extra_repr(self) -> str:
        return f"mode={'hard' if self.hard else 'mean'}, clusters={self.num_clusters}, temp={self.temp}, " \
               f"momentum={self.momentum}" + self._smoothing_repr()


@MEMORY_REGISTRY.register(name="mean")
def build_mean_memory(num_features: int, num_clusters: int, options: MemoryOptions) -> CentroidMemory:
    """Cluster Contrast's CM: centroids, per-sample momentum update."""
    return CentroidMemory(num_features, num_clusters, hard=False, **options.common())


@MEMORY_REGISTRY.register(name="hard")
def build_hard_memory(num_features: int, num_clusters: int, options: MemoryOptions) -> CentroidMemory:
    """Cluster Contrast's CMhard: centroids, hardest-sample momentum update."""
    return CentroidMemory(num_features, num_clusters, hard=True, **options.common())
