"""HHCL's hybrid memory (paper, Eq. 2–8): cluster centroids + hard instances."""

from __future__ import annotations

from typing import Callable, Sequence

import torch

from .base import ClusterMemory
from .logits import HardInstanceLogits
from .registry import MEMORY_REGISTRY, MemoryOptions
from .updates import batch_mean_update, instance_overwrite_update


class HybridMemory(ClusterMemory):
    """``L = μ·L_cls + (1−μ)·L_ins`` (Eq. 2).

    ``L_cls = CE(f Cᵀ/τ, y)`` over the centroid memory ``centroids`` (Eq. 3);
    ``L_ins`` = CE over the instance memory ``instances`` (C×K×d) with the
    hard positive (least similar slot of the own cluster, Eq. 6) and the
    hardest negative of every other cluster (most similar slot, Eq. 7) as
    logits (Eq. 5). Updates: centroids by momentum with the batch mean of
    each cluster (Eq. 4); instances overwritten by the batch's samples (Eq. 8).
    Instance slots start as K features of the cluster drawn with replacement.
    Label smoothing ``uniform`` smooths ``L_cls`` only, ``release`` both.
    """

    num_memories = 2

    def __init__(self, num_features: int, num_clusters: int, num_instances: int = 16, mu: float = 0.5,
                 **kwargs):
        super().__init__(num_features, num_clusters, **kwargs)
        if not 0.0 <= mu <= 1.0:
            raise ValueError(f"MODEL.MEMORY.MU must be in [0, 1], got {mu}")
        if num_instances < 1:
            raise ValueError(f"MODEL.MEMORY.NUM_INSTANCES must be at least 1, got {num_instances}")
        self.mu = mu
        self.register_buffer("instances", torch.zeros(num_clusters, num_instances, num_features))

    @property
    def num_instances(self) -> int:
        return self.instances.shape[1]

    def _reset_extra(self, features: torch.Tensor, labels: torch.Tensor, num_clusters: int,
                     generator: torch.Generator | None) -> None:
        order = torch.argsort(labels, stable=True)
        counts = torch.bincount(labels, minlength=num_clusters)
        starts = torch.cumsum(counts, 0) - counts
        draws = torch.rand((num_clusters, self.num_instances), generator=generator,
                           dtype=torch.float64).to(features.device)
        picks = starts[:, None] + (draws * counts[:, None]).long()
        self.instances = features[order[picks]].clone()

    def _losses(self, features: torch.Tensor, labels: torch.Tensor,
                on_backward: Sequence[Callable[[], None] | None]) -> dict[str, torch.Tensor]:
        loss_cluster = self._centroid_cross_entropy(features, self.centroids, labels, on_backward[0])
        instance_logits = HardInstanceLogits.apply(features, self.instances, labels, on_backward[1])
        loss_instance = self._cross_entropy(instance_logits / self.temp, labels, cluster_level=False)
        return {"loss_cluster": self.mu * loss_cluster, "loss_instance": (1.0 - self.mu) * loss_instance}

    def _memory_updates(self, features: torch.Tensor, labels: torch.Tensor) -> list[Callable[[], None]]:
        return [lambda: batch_mean_update(self.centroids, features, labels, self.momentum),
                lambda: instance_overwrite_update(self.instances, features, labels)]

    def extra_repr(self) -> str:
        return f"mode=hybrid, clusters={self.num_clusters}, instances={self.num_instances}, " \
               f"temp={self.temp}, momentum={self.momentum}, mu={self.mu}" + self._smoothing_repr()


@MEMORY_REGISTRY.register(name="hybrid")
def build_hybrid_memory(num_features: int, num_clusters: int, options: MemoryOptions) -> HybridMemory:
    """HHCL's hybrid memory (paper, Eq. 2–8)."""
    return HybridMemory(num_features, num_clusters, num_instances=options.num_instances, mu=options.mu,
                        **options.common())
