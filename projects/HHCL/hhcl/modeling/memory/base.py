"""What every cluster memory shares: state, re-initialisation, multi-process
gathering, the (label-smoothed) cross-entropy, and loading a checkpoint of
another size."""

from __future__ import annotations

import abc
import logging
from typing import Callable, Sequence

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from .logits import CentroidLogits

logger = logging.getLogger(__name__)

#: ``MODEL.MEMORY.LABEL_SMOOTH_MODE`` values; see :meth:`ClusterMemory._cross_entropy`.
LABEL_SMOOTH_MODES = ("uniform", "release")

#: The release's top-k smoothing spreads ε over the ``C // _CLUSTERS_PER_TOP_K``
#: most probable clusters.
_CLUSTERS_PER_TOP_K = 50


def top_k_smoothed_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, epsilon: float) -> torch.Tensor:
    """Cross-entropy with the HHCL release's top-k label smoothing.

    ``logits`` B×C (already divided by τ), ``labels`` (B,). With
    ``k = C // 50``: if ``k > 1`` the target of sample j is
    ``q = (1−ε)·onehot(y_j) + (ε/k)·1[c ∈ top-k_j]``, top-k_j being the k
    classes of largest predicted log-probability of sample j (its own
    predictions; the true class may be among them and then gets
    ``1−ε+ε/k``); if ``k ≤ 1`` (C < 100) ordinary uniform smoothing
    ``q = (1−ε)·onehot(y_j) + ε/C``. Loss = batch mean of
    ``−Σ_c q_c·log softmax(z_j)_c``. The top-k indices are constants: no
    gradient flows through q. Ties among the k-th largest are broken by
    :func:`torch.topk`. ``ε = 0`` is plain cross-entropy.
    """
    if not epsilon:
        return F.cross_entropy(logits, labels)
    log_p = F.log_softmax(logits, dim=1)
    nll = -log_p.gather(1, labels[:, None]).squeeze(1)
    k = logits.shape[1] // _CLUSTERS_PER_TOP_K
    if k > 1:
        top_k = log_p.detach().topk(k, dim=1).indices
        spread = -log_p.gather(1, top_k).mean(dim=1)
    else:
        spread = -log_p.mean(dim=1)
    return ((1.0 - epsilon) * nll + epsilon * spread).mean()


class ClusterMemory(nn.Module, metaclass=abc.ABCMeta):
    """Base of the memories: a centroid memory ``centroids`` (C×d) plus what
    a mode adds. Subclasses implement :meth:`_losses`.

    Calling ``memory(features, labels)`` returns named scalar losses whose sum
    is the training loss. Logits use the memory as it was before the call;
    this call's update (with the batch of every process, see :meth:`forward`)
    is applied at the end of the backward of those losses, or right away when
    no backward can follow (gradients disabled or features without grad).
    Call ``forward`` once per backward.

    Label smoothing (``label_smooth`` ε, ``label_smooth_mode``; see
    :meth:`_cross_entropy`): ``uniform`` spreads ε over all C clusters, on
    the cluster-level (centroid) CE only; ``release`` is the HHCL public
    release's ``--smooth``, ε over each sample's top ``C // 50`` predicted
    clusters (uniform when ``C // 50 <= 1``), on every CE term of the memory.
    """

    #: Number of memories the mode keeps (each with its own update).
    num_memories = 1

    def __init__(self, num_features: int, num_clusters: int, temp: float = 0.05,
                 momentum: float = 0.1, label_smooth: float = 0.0, label_smooth_mode: str = "uniform"):
        super().__init__()
        if temp <= 0:
            raise ValueError(f"MODEL.MEMORY.TEMP must be positive, got {temp}")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"MODEL.MEMORY.MOMENTUM must be in [0, 1], got {momentum}")
        if not 0.0 <= label_smooth < 1.0:
            raise ValueError(f"MODEL.MEMORY.LABEL_SMOOTH must be in [0, 1), got {label_smooth}")
        if label_smooth_mode not in LABEL_SMOOTH_MODES:
            raise ValueError(f"Unknown MODEL.MEMORY.LABEL_SMOOTH_MODE {label_smooth_mode!r}; choices: "
                             f"{', '.join(LABEL_SMOOTH_MODES)}")
        self.num_features = num_features
        self.temp = temp
        self.momentum = momentum
        self.label_smooth = label_smooth
        self.label_smooth_mode = label_smooth_mode
        self.register_buffer("centroids", torch.zeros(num_clusters, num_features))
        self.register_buffer("initialized", torch.tensor(False))

    @property
    def num_clusters(self) -> int:
        return self.centroids.shape[0]

    # ------------------------------------------------------------------ reset
    @torch.no_grad()
    def reset(self, features: torch.Tensor, labels: torch.Tensor,
              generator: torch.Generator | None = None) -> None:
        """Re-initialise from the features (N×d, L2-normalised) and pseudo
        labels (N, ``-1`` = outlier, ignored) of the whole train set.

        Centroid of cluster i = L2-normalised mean of its features; clusters
        must be numbered 0..C−1 with none empty.
        """
        features, labels = self._check_reset_input(features, labels)
        features = F.normalize(features.to(self.centroids), dim=1)
        num_clusters = int(labels.max()) + 1
        sums = torch.zeros((num_clusters, features.shape[1]), dtype=features.dtype,
                           device=features.device).index_add_(0, labels, features)
        self.centroids = F.normalize(sums, dim=1)
        self._reset_extra(features, labels, num_clusters, generator)
        self.initialized.fill_(True)

    def _reset_extra(self, features: torch.Tensor, labels: torch.Tensor, num_clusters: int,
                     generator: torch.Generator | None) -> None:
        """Mode-specific re-initialisation (outliers already removed)."""

    def _check_reset_input(self, features: torch.Tensor, labels: torch.Tensor):
        if features.dim() != 2 or features.shape[1] != self.num_features:
            raise ValueError(f"reset: features must be N×{self.num_features}, got {tuple(features.shape)}")
        if labels.dim() != 1 or labels.shape[0] != features.shape[0]:
            raise ValueError(f"reset: labels must be a vector of {features.shape[0]} pseudo labels, "
                             f"got shape {tuple(labels.shape)}")
        if not torch.isfinite(features).all():
            raise ValueError("reset: features contain NaN or inf")
        labels = labels.to(device=features.device, dtype=torch.long)
        if (labels < -1).any():
            raise ValueError("reset: pseudo labels must be >= -1 (-1 marks outliers)")
        inliers = labels >= 0
        if not inliers.any():
            raise ValueError("reset: every sample is an outlier (no cluster to build a memory from); "
                             "the clustering found 0 clusters")
        labels = labels[inliers]
        counts = torch.bincount(labels)
        if (counts == 0).any():
            empty = torch.nonzero(counts == 0).squeeze(1).tolist()[:10]
            raise ValueError(f"reset: clusters must be numbered 0..C-1 without gaps; clusters {empty} "
                             f"have no sample")
        return features[inliers], labels

    # --------------------------------------------------------------- forward
    def forward(self, features: torch.Tensor, labels: torch.Tensor, update: bool = True) -> dict[str, torch.Tensor]:
        """Named losses of the batch (features B×d, L2-normalised; labels in 0..C−1).

        Memory math runs in the memory's dtype (float32) even under autocast.
        With ``update`` the memory is updated with this batch — under
        ``torch.distributed``, with the features and labels of every rank
        gathered in rank order, so the memories stay identical on all ranks
        and equal to those of one process that sees the whole batch.
        """
        if not bool(self.initialized):
            raise RuntimeError("The memory is empty: call memory.reset(features, labels) with the "
                               "clustered train-set features first.")
        labels = labels.to(device=features.device, dtype=torch.long)
        if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= self.num_clusters):
            raise ValueError(f"labels must be in 0..{self.num_clusters - 1} (outliers are dropped "
                             f"before training), got {int(labels.min())}..{int(labels.max())}")
        with torch.autocast(device_type=features.device.type, enabled=False):
            features = features.to(self.centroids.dtype)
            updates = self._memory_updates(*_gather(features.detach(), labels)) if update else []
            deferred = torch.is_grad_enabled() and features.requires_grad
            callbacks = updates if (updates and deferred) else [None] * self.num_memories
            losses = self._losses(features, labels, callbacks)
            if not deferred:
                for apply_update in updates:
                    apply_update()
        return losses

    @abc.abstractmethod
    def _losses(self, features: torch.Tensor, labels: torch.Tensor,
                on_backward: Sequence[Callable[[], None] | None]) -> dict[str, torch.Tensor]:
        """The named losses; ``on_backward[i]`` (the update of the i-th memory,
        or None) goes to the autograd function that reads the i-th memory, so
        each memory changes only after its own gradient has been computed."""

    @abc.abstractmethod
    def _memory_updates(self, features: torch.Tensor, labels: torch.Tensor) -> list[Callable[[], None]]:
        """One in-place update per memory, with the (gathered) batch."""

    def _centroid_cross_entropy(self, features: torch.Tensor, memory: torch.Tensor, labels: torch.Tensor,
                                on_backward: Callable[[], None] | None) -> torch.Tensor:
        """Cluster-level CE (HHCL Eq. 3) against the centroid memory ``memory``."""
        logits = CentroidLogits.apply(features, memory, on_backward)
        return self._cross_entropy(logits / self.temp, labels, cluster_level=True)

    def _cross_entropy(self, logits: torch.Tensor, labels: torch.Tensor, cluster_level: bool) -> torch.Tensor:
        """CE of ``logits`` (B×C, already divided by τ), smoothed by ε = ``label_smooth``:

        - ``uniform``: ``q = (1−ε)·onehot(y) + ε/C`` (``F.cross_entropy``'s
          ``label_smoothing``) for the cluster-level (centroid) CE terms
          (``cluster_level``); other terms (hybrid's hard-instance CE) are
          not smoothed.
        - ``release``: :func:`top_k_smoothed_cross_entropy` (ε over each
          sample's top ``C // 50`` predicted clusters, uniform when
          ``C // 50 <= 1``) for every CE term. The release hard-codes
          ε = 0.1 whatever its ``--smooth`` value; here ε is
          ``MODEL.MEMORY.LABEL_SMOOTH`` (set 0.1 to match it).
        """
        if self.label_smooth_mode == "release":
            return top_k_smoothed_cross_entropy(logits, labels, self.label_smooth)
        return F.cross_entropy(logits, labels, label_smoothing=self.label_smooth if cluster_level else 0.0)

    def _smoothing_repr(self) -> str:
        """``extra_repr`` suffix naming the label smoothing, if any."""
        return f", label_smooth={self.label_smooth} ({self.label_smooth_mode})" if self.label_smooth else ""

    # ------------------------------------------------------------ checkpoint
    def match_buffer_shapes(self, state_dict: dict, prefix: str = "") -> None:
        """Give the buffers the shapes they have in ``state_dict`` (a memory of
        another number of clusters), so that loading it copies instead of
        failing or being skipped."""
        for name, buffer in self._buffers.items():
            incoming = state_dict.get(prefix + name)
            if buffer is not None and incoming is not None and incoming.shape != buffer.shape:
                self._buffers[name] = torch.empty(incoming.shape, dtype=buffer.dtype, device=buffer.device)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        """Memories of another size (another number of clusters) load. A
        checkpointed memory of another mode that lacks some of this memory's
        buffers (a ``mean`` memory has no instance slots for ``hybrid``)
        loads what it has and leaves this memory empty, to be rebuilt at the
        next clustering, with a warning."""
        self.match_buffer_shapes(state_dict, prefix)
        absent = [name for name in self._buffers if prefix + name not in state_dict]
        has_memory = len(absent) < len(self._buffers)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
        if has_memory and absent:
            self.initialized.fill_(False)
            logger.warning(f"The checkpoint's memory has no {', '.join(absent)} ({type(self).__name__} needs "
                           f"them): it was saved with another MODEL.MEMORY.MODE. This memory is rebuilt at the "
                           f"next clustering.")


def _gather(features: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The batch of every rank, concatenated in rank order (this rank's own
    batch outside multi-process training)."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return features, labels
    world = dist.get_world_size()
    all_features = [torch.empty_like(features) for _ in range(world)]
    all_labels = [torch.empty_like(labels) for _ in range(world)]
    dist.all_gather(all_features, features.contiguous())
    dist.all_gather(all_labels, labels.contiguous())
    return torch.cat(all_features), torch.cat(all_labels)
