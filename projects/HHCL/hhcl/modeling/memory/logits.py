"""Similarity logits against a memory, as autograd functions.

The logits use the memory as it is at the forward; the gradient w.r.t. the
features is taken through that same (old) memory, treated as a constant; the
memory's update for the step is then applied at the end of the backward, so
the memory is never part of the autograd graph and never modified in place
while autograd needs it.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

#: Clusters per ``embedding_bag`` call in the hard-instance backward: the
#: slots of a chunk (chunk·K rows) stay in cache while all samples read them.
_BACKWARD_CLUSTER_CHUNK = 32


class CentroidLogits(torch.autograd.Function):
    """``f @ Mᵀ`` (B×C), with ``on_backward()`` run after the gradient."""

    @staticmethod
    def forward(ctx, features: torch.Tensor, memory: torch.Tensor,
                on_backward: Callable[[], None] | None) -> torch.Tensor:
        ctx.memory = memory
        ctx.on_backward = on_backward
        return features @ memory.t()

    @staticmethod
    def backward(ctx, grad_logits: torch.Tensor):
        grad_features = grad_logits @ ctx.memory if ctx.needs_input_grad[0] else None
        if ctx.on_backward is not None:
            ctx.on_backward()
        return grad_features, None, None


class HardInstanceLogits(torch.autograd.Function):
    """HHCL Eq. 5–7: logits of the hard-instance contrast.

    For sample j and cluster i, with ``s_k = f_j · Z[i, k]``: the logit of the
    sample's own cluster ``y_j`` is ``min_k s_k`` (hard positive, Eq. 6), that
    of every other cluster ``max_k s_k`` (hardest negative, Eq. 7). The
    backward only reads the one selected slot per sample and cluster (a fused
    gather-weighted-sum), not all C·K slots.
    """

    @staticmethod
    def forward(ctx, features: torch.Tensor, instances: torch.Tensor, labels: torch.Tensor,
                on_backward: Callable[[], None] | None) -> torch.Tensor:
        num_clusters, num_slots, dim = instances.shape
        similarity = (features @ instances.reshape(-1, dim).t()).view(-1, num_clusters, num_slots)
        logits, slot = similarity.max(dim=2)
        own = similarity[torch.arange(features.shape[0], device=features.device), labels]
        own_logit, own_slot = own.min(dim=1)
        rows = torch.arange(features.shape[0], device=features.device)
        logits[rows, labels] = own_logit
        slot[rows, labels] = own_slot
        ctx.instances = instances
        ctx.on_backward = on_backward
        ctx.save_for_backward(slot)
        return logits

    @staticmethod
    def backward(ctx, grad_logits: torch.Tensor):
        grad_features = None
        if ctx.needs_input_grad[0]:
            (slot,) = ctx.saved_tensors
            instances = ctx.instances
            num_clusters, num_slots, dim = instances.shape
            flat = instances.reshape(-1, dim)
            grad_features = torch.zeros((grad_logits.shape[0], dim), dtype=flat.dtype, device=flat.device)
            grad_logits = grad_logits.contiguous()
            offsets = torch.arange(num_clusters, device=slot.device) * num_slots
            for start in range(0, num_clusters, _BACKWARD_CLUSTER_CHUNK):
                stop = min(num_clusters, start + _BACKWARD_CLUSTER_CHUNK)
                rows = slot[:, start:stop] + offsets[start:stop] - start * num_slots
                grad_features += F.embedding_bag(rows, flat[start * num_slots:stop * num_slots],
                                                 per_sample_weights=grad_logits[:, start:stop], mode="sum")
        if ctx.on_backward is not None:
            ctx.on_backward()
        return grad_features, None, None, None
