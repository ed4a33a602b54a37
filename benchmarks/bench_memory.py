#!/usr/bin/env python
"""Time of one memory step (forward + backward + update) per mode.

B = 256 (16 clusters × 16 samples), d = 2048, C ∈ {600, 2000}, K = 16,
median over steps, with 1 thread and with the default thread count. Next to
each mode: the per-sample-loop baseline, structured like the authors' code —
logits by a dense matmul with autograd (for ``hybrid``: through all C·K
instance slots), then plain per-sample update loops (:func:`loop_update`)
— and the authors' public
code as measured on this machine (1 thread), with the issue's targets.

    python benchmarks/bench_memory.py [--steps 7] [--clusters 600 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

import hhcl  # noqa: F401
from hhcl.modeling import build_memory

BATCH_IDS, BATCH_INSTANCES, DIM, SLOTS = 16, 16, 2048, 16
MODES = ("mean", "hard", "hard_mean", "hybrid")
#: The authors' public code on this machine, 1 thread (ms), per C.
AUTHORS_MS = {600: {"mean": 17, "hard": 15, "hard_mean": 29, "hybrid": 247},
              2000: {"mean": 51, "hard": 47, "hard_mean": 90, "hybrid": 805}}


def target_ms(mode: str, clusters: int) -> float:
    """Within 10% of the authors' figure; hybrid at least 1.6× faster."""
    authors = AUTHORS_MS[clusters][mode]
    return authors / 1.6 if mode == "hybrid" else authors * 1.1


def make_memory(mode: str, clusters: int) -> torch.nn.Module:
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(clusters).repeat(2)
    features = F.normalize(torch.randn(labels.numel(), DIM, generator=generator), dim=1)
    memory = build_memory(mode, DIM, clusters, num_instances=SLOTS)
    memory.reset(features, labels, generator=generator)
    return memory


def batches(clusters: int, count: int):
    generator = torch.Generator().manual_seed(1)
    for _ in range(count):
        ids = torch.randperm(clusters, generator=generator)[:BATCH_IDS]
        labels = ids.repeat_interleave(BATCH_INSTANCES)
        features = F.normalize(torch.randn(labels.numel(), DIM, generator=generator), dim=1)
        yield features, labels


def ours(memory, features, labels) -> None:
    features.requires_grad_()
    sum(memory(features, labels).values()).backward()


def loop_baseline(memory, features, labels) -> None:
    """Dense autograd logits, then per-sample update loops."""
    features.requires_grad_()
    temp, mu = memory.temp, getattr(memory, "mu", 0.5)
    mode = memory.extra_repr().split(",")[0].split("=")[1]
    if mode in ("mean", "hard"):
        loss = F.cross_entropy(features @ memory.centroids.t() / temp, labels)
    elif mode == "hard_mean":
        loss = mu * F.cross_entropy(features @ memory.hard_centroids.t() / temp, labels) + \
            (1 - mu) * F.cross_entropy(features @ memory.centroids.t() / temp, labels)
    else:
        clusters = memory.num_clusters
        similarity = (features @ memory.instances.reshape(-1, DIM).t()).view(-1, clusters, SLOTS)
        rows = torch.arange(labels.numel())
        positive = similarity[rows, labels].min(dim=1).values
        logits = similarity.max(dim=2).values.scatter(1, labels[:, None], positive[:, None])
        loss = mu * F.cross_entropy(features @ memory.centroids.t() / temp, labels) + \
            (1 - mu) * F.cross_entropy(logits / temp, labels)
    loss.backward()
    loop_update(memory, mode, features.detach(), labels.tolist())


@torch.no_grad()
def loop_update(memory, mode: str, batch: torch.Tensor, y: list[int]) -> None:
    """The memory updates as loops over the batch's samples and clusters."""
    m = memory.momentum

    def momentum_step(rows: torch.Tensor, index: int, feature: torch.Tensor) -> None:
        rows[index] = F.normalize(m * rows[index] + (1 - m) * feature, dim=0)

    clusters = {c: [j for j, label in enumerate(y) if label == c] for c in set(y)}
    if mode == "mean":
        for j, c in enumerate(y):
            momentum_step(memory.centroids, c, batch[j])
        return
    for c, members in clusters.items():
        if mode in ("hard", "hard_mean"):
            hard_rows = memory.centroids if mode == "hard" else memory.hard_centroids
            hardest = min(members, key=lambda j: float(batch[j] @ hard_rows[c]))
            momentum_step(hard_rows, c, batch[hardest])
        if mode in ("hard_mean", "hybrid"):
            momentum_step(memory.centroids, c, batch[members].mean(dim=0))
        if mode == "hybrid":
            for slot, j in enumerate(members[:memory.num_instances]):
                memory.instances[c, slot] = batch[j]


def median_ms(step, mode: str, clusters: int, steps: int) -> float:
    memory = make_memory(mode, clusters)
    times = []
    for index, (features, labels) in enumerate(batches(clusters, steps + 2)):
        start = time.perf_counter()
        step(memory, features, labels)
        if index >= 2:  # warm-up
            times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=7)
    parser.add_argument("--clusters", type=int, nargs="+", default=[600, 2000])
    args = parser.parse_args()
    default_threads = torch.get_num_threads()
    print(f"B={BATCH_IDS * BATCH_INSTANCES} d={DIM} K={SLOTS}, median of {args.steps} steps, ms")
    print("| mode | C | threads | ours | loop baseline | baseline/ours | authors' code (1 thread) "
          "| target (1 thread) | met |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|:-:|")
    for clusters in args.clusters:
        for threads in (1, default_threads):
            torch.set_num_threads(threads)
            for mode in MODES:
                mine = median_ms(ours, mode, clusters, args.steps)
                loop = median_ms(loop_baseline, mode, clusters, args.steps)
                target = target_ms(mode, clusters)
                met = ("yes" if mine <= target else "no") if threads == 1 else ""
                print(f"| {mode} | {clusters} | {threads} | {mine:.1f} | {loop:.1f} | {loop / mine:.2f}× | "
                      f"{AUTHORS_MS[clusters][mode]} | {target:.0f} | {met} |", flush=True)
    torch.set_num_threads(default_threads)


if __name__ == "__main__":
    main()
