"""The memory of HHCL's public release (mode ``hard_mean``)."""

from __future__ import annotations

from typing import Callable, Sequence

import torch

from .base import ClusterMemory
from .registry import MEMORY_REGISTRY, MemoryOptions
from .updates import batch_mean_update, hardest_sample_update


class HardMeanMemory(ClusterMemory):
    """Two centroid memories, which produced the authors' reported numbers:
    ``hard_centroids`` H (updated per cluster with its least similar batch
    sample) and ``centroids`` C (updated with the batch mean of the cluster).

    Loss ``μ·CE(f Hᵀ/τ, y) + (1−μ)·CE(f Cᵀ/τ, y)``; with ``legacy_weighting``
    the release's effective ``μ·CE_hard + μ(1−μ)·CE_mean`` (its code reads
    ``μ·(CE_hard + (1−μ)·CE_mean)``). Both memories start from the same
    centroids. Label smoothing (either mode) applies to both CE terms.
    """

    num_memories = 2

    def __init__(self, num_features: int, num_clusters: int, mu: float = 0.5,
                 legacy_weighting: bool = False, **kwargs):
        super().__init__(num_features, num_clusters, **kwargs)
        if not 0.0 <= mu <= 1.0:
            raise ValueError(f"MODEL.MEMORY.MU must be in [0, 1], got {mu}")
        self.mu = mu
        self.legacy_weighting = legacy_weighting
        self.register_buffer("hard_centroids", torch.zeros(num_clusters, num_features))

    def _reset_extra(self, features: torch.Tensor, labels: torch.Tensor, num_clusters: int,
                     generator: torch.Generator | None) -> None:
        self.hard_centroids = self.centroids.clone()

    def _losses(self, features: torch.Tensor, labels: torch.Tensor,
                on_backward: Sequence[Callable[[], None] | None]) -> dict[str, torch.Tensor]:
        loss_hard = self._centroid_cross_entropy(features, self.hard_centroids, labels, on_backward[0])
        loss_mean = self._centroid_cross_entropy(features, self.centroids, labels, on_backward[1])
        mean_weight = self.mu * (1.0 - self.mu) if self.legacy_weighting else 1.0 - self.mu
        return {"loss_hard": self.mu * loss_hard, "loss_mean": mean_weight * loss_mean}

    def _memory_updates(self, features: torch.Tensor, labels: torch.Tensor) -> list[Callable[[], None]]:
        return [lambda: hardest_sample_update(self.hard_centroids, features, labels, self.momentum),
                lambda: batch_mean_update(self.centroids, features, labels, self.momentum)]

    def extra_repr(self) -> str:
        return f"mode=hard_mean, clusters={self.num_clusters}, temp={self.temp}, momentum={self.momentum}, " \
               f"mu={self.mu}, legacy_weighting={self.legacy_weighting}" + self._smoothing_repr()


@MEMORY_REGISTRY.register(name="hard_mean")
def build_hard_mean_memory(num_features: int, num_clusters: int, options: MemoryOptions) -> HardMeanMemory:
    """The memory of HHCL's public release (``CMhybrid``)."""
    return HardMeanMemory(num_features, num_clusters, mu=options.mu, legacy_weighting=options.legacy_weighting,
                          **options.common())
