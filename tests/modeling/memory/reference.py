"""The memories written in the plainest loop form: per sample, per cluster,
per slot. Used by the tests (float64, small sizes).
"""

from __future__ import annotations

import math

import torch


def normalised(row: torch.Tensor) -> torch.Tensor:
    return row / row.norm()


def log_probabilities(logits: list[torch.Tensor]) -> list[torch.Tensor]:
    top = max(float(v.detach()) for v in logits)
    log_sum = top + torch.log(sum(torch.exp(v - top) for v in logits))
    return [v - log_sum for v in logits]


def release_target(log_p: list[torch.Tensor], target: int, smoothing: float) -> list[float]:
    """The HHCL release's smoothed target: k = C // 50; if k > 1,
    (1−ε)·onehot + ε/k on the k classes of largest log-probability (sorted
    by hand), else (1−ε)·onehot + ε/C. Plain numbers: no gradient."""
    num_classes = len(log_p)
    k = num_classes // 50
    if k > 1:
        order = sorted(range(num_classes), key=lambda i: float(log_p[i].detach()), reverse=True)
        top_k = set(order[:k])
        return [(1.0 - smoothing) * (i == target) + (smoothing / k if i in top_k else 0.0)
                for i in range(num_classes)]
    return [(1.0 - smoothing) * (i == target) + smoothing / num_classes for i in range(num_classes)]


def cross_entropy(logits: list[torch.Tensor], target: int, smoothing: float = 0.0,
                  smoothing_mode: str = "uniform") -> torch.Tensor:
    """``uniform``: −(1−ε)·log p_target − ε/C·Σ_i log p_i, written out;
    ``release``: −Σ_i q_i·log p_i with q = :func:`release_target`."""
    log_p = log_probabilities(logits)
    if smoothing_mode == "release":
        target_q = release_target(log_p, target, smoothing)
        return -sum(q * lp for q, lp in zip(target_q, log_p))
    loss = -(1.0 - smoothing) * log_p[target]
    if smoothing:
        loss = loss - smoothing / len(logits) * sum(log_p)
    return loss


def centroid_loss(f: torch.Tensor, y: list[int], memory: torch.Tensor, temp: float, smoothing: float,
                  smoothing_mode: str = "uniform") -> torch.Tensor:
    """Mean over samples of CE over ``f_j · M_i / τ`` (HHCL Eq. 3)."""
    total = 0.0
    for j in range(f.shape[0]):
        logits = [torch.dot(f[j], memory[i]) / temp for i in range(memory.shape[0])]
        total = total + cross_entropy(logits, y[j], smoothing, smoothing_mode)
    return total / f.shape[0]


def hard_instance_loss(f: torch.Tensor, y: list[int], instances: torch.Tensor, temp: float,
                       smoothing: float = 0.0, smoothing_mode: str = "uniform") -> torch.Tensor:
    """HHCL Eq. 5–7: own cluster = least similar slot, others = most similar.
    Smoothed only in mode ``release`` (``uniform`` smooths centroid CEs only)."""
    total = 0.0
    for j in range(f.shape[0]):
        logits = []
        for i in range(instances.shape[0]):
            similarities = [torch.dot(f[j], instances[i, k]) for k in range(instances.shape[1])]
            pick = min if i == y[j] else max
            logits.append(pick(similarities, key=lambda v: float(v.detach())) / temp)
        if smoothing_mode == "release":
            total = total + cross_entropy(logits, y[j], smoothing, smoothing_mode)
        else:
            total = total + cross_entropy(logits, y[j])
    return total / f.shape[0]


def sequential_update(memory: torch.Tensor, f: torch.Tensor, y: list[int], m: float) -> None:
    for j in range(f.shape[0]):
        memory[y[j]] = normalised(m * memory[y[j]] + (1 - m) * f[j])


def hardest_update(memory: torch.Tensor, f: torch.Tensor, y: list[int], m: float) -> None:
    for i in sorted(set(y)):
        members = [j for j in range(f.shape[0]) if y[j] == i]
        similarities = [float(torch.dot(f[j], memory[i])) for j in members]
        hardest = members[similarities.index(min(similarities))]
        memory[i] = normalised(m * memory[i] + (1 - m) * f[hardest])


def mean_update(memory: torch.Tensor, f: torch.Tensor, y: list[int], m: float) -> None:
    for i in sorted(set(y)):
        members = [j for j in range(f.shape[0]) if y[j] == i]
        mean = sum(f[j] for j in members) / len(members)
        memory[i] = normalised(m * memory[i] + (1 - m) * mean)


def instance_update(instances: torch.Tensor, f: torch.Tensor, y: list[int]) -> None:
    for i in sorted(set(y)):
        members = [j for j in range(f.shape[0]) if y[j] == i]
        for slot, j in enumerate(members[:instances.shape[1]]):
            instances[i, slot] = normalised(f[j])


def reference_step(mode: str, state: dict[str, torch.Tensor], f: torch.Tensor, y: list[int], temp: float,
                   momentum: float, mu: float, smoothing: float, legacy: bool, smoothing_mode: str = "uniform"):
    """Losses (dict, autograd through ``f``) and the memory state after the
    step's update, for ``mode``; ``state`` is not modified. ``smoothing_mode``
    ``uniform`` smooths the centroid CEs only, ``release`` every CE."""
    new = {name: value.clone() for name, value in state.items()}
    batch = f.detach()
    if mode in ("mean", "hard"):
        losses = {"loss_cluster": centroid_loss(f, y, state["centroids"], temp, smoothing, smoothing_mode)}
        (sequential_update if mode == "mean" else hardest_update)(new["centroids"], batch, y, momentum)
    elif mode == "hybrid":
        losses = {"loss_cluster": mu * centroid_loss(f, y, state["centroids"], temp, smoothing, smoothing_mode),
                  "loss_instance": (1 - mu) * hard_instance_loss(f, y, state["instances"], temp, smoothing,
                                                                 smoothing_mode)}
        mean_update(new["centroids"], batch, y, momentum)
        instance_update(new["instances"], batch, y)
    elif mode == "hard_mean":
        mean_weight = mu * (1 - mu) if legacy else 1 - mu
        losses = {"loss_hard": mu * centroid_loss(f, y, state["hard_centroids"], temp, smoothing, smoothing_mode),
                  "loss_mean": mean_weight * centroid_loss(f, y, state["centroids"], temp, smoothing,
                                                           smoothing_mode)}
        hardest_update(new["hard_centroids"], batch, y, momentum)
        mean_update(new["centroids"], batch, y, momentum)
    else:
        raise ValueError(mode)
    assert all(math.isfinite(float(v.detach())) for v in losses.values())
    return losses, new
