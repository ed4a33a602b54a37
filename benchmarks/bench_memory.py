#!/usr/bin/env python
"""Time of one memory step (forward + backward + update) per mode, on the CPU.

B = 256 (16 clusters × 16 samples), d = 2048, C ∈ {600, 2000}, K = 16,
τ = 0.05, m = 0.1, μ = 0.5 (the HHCL release's defaults), median over
``--steps`` steps after 2 warm-up steps, with 1 thread and with the default
thread count. Per mode:

- ours: the plugin's memory (``build_memory``; ``hard_mean`` with the
  release's weighting, ``legacy_weighting``, so that losses compare);
- loop baseline, written here from the update rules: logits by a dense
  matmul with autograd (for ``hybrid``: through all C·K instance slots), then
  plain per-sample update loops (:func:`loop_update`);
- with ``--authors-code PATH``: the authors' ``ClusterMemory``, imported
  from the ``cm.py`` of a clone of bupt-ai-cz/HHCL-ReID (``CM``, ``CMhard``,
  ``CMhybrid``, ``CMhybrid_v2`` = ``mean``, ``hard``, ``hard_mean``,
  ``hybrid``) or alibaba/cluster-contrast-reid (``mean``, ``hard``) at run
  time, under a private package name and without running their package's
  ``__init__`` (the HHCL package is also called ``hhcl``). It starts from
  our memory's state, copied into its layout. While it runs on a machine
  without CUDA, ``torch.Tensor.cuda`` is the identity in this process (the
  Cluster Contrast release moves its inputs with ``.cuda()``); their files
  are not changed.

All implementations of a mode get the same batches; each step index runs
them in turn, the order rotating, so a change of load reaches all alike.
The authors' loss and feature gradient are compared with ours at every
step and their largest absolute differences printed (of the gradient, its
component tangent to the unit sphere: the Cluster Contrast release
normalises its inputs inside the memory). Losses that differ by more than
``LOSS_TOLERANCE`` end the run with status 1: the comparison is then not
like for like. The load average (os.getloadavg) is printed at the start
and at the end: other processes slow every figure.

    python benchmarks/bench_memory.py [--steps 7] [--clusters 600 2000] [--threads 1 2] [--authors-code PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import statistics
import sys
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from unittest import mock

import torch
import torch.nn.functional as F

import hhcl  # noqa: F401
from hhcl.modeling import build_memory

BATCH_IDS, BATCH_INSTANCES, DIM, SLOTS = 16, 16, 2048, 16
TEMP, MOMENTUM, MU = 0.05, 0.1, 0.5
WARM_UP = 2
MODES = ("mean", "hard", "hard_mean", "hybrid")
#: Largest |our loss − the authors' loss| of a like-for-like comparison.
LOSS_TOLERANCE = 1e-5


@dataclass(frozen=True)
class Release:
    """An authors' release: where its ``cm.py`` is in a clone, and the
    ``ClusterMemory`` arguments that give each of our modes."""

    name: str
    folder: str
    modes: dict[str, dict]


RELEASES = (
    Release("HHCL-ReID", "hhcl/models", {
        "mean": {"mode": "CM"}, "hard": {"mode": "CMhard"},
        "hard_mean": {"mode": "CMhybrid", "hard_weight": MU},
        "hybrid": {"mode": "CMhybrid_v2", "hard_weight": MU, "num_instances": SLOTS}}),
    Release("cluster-contrast-reid", "clustercontrast/models", {
        "mean": {"use_hard": False}, "hard": {"use_hard": True}}),
)


@dataclass(frozen=True)
class AuthorsCode:
    release: Release
    module: types.ModuleType


def import_authors_memory(path: str) -> AuthorsCode:
    """The ``cm`` module of the release cloned at ``path``, imported under a
    private package name without running their package's ``__init__``."""
    for release in RELEASES:
        folder = Path(path) / release.folder
        if (folder / "cm.py").is_file():
            package = types.ModuleType(f"authors_{release.folder.replace('/', '_')}")
            package.__path__ = [str(folder)]
            sys.modules[package.__name__] = package
            return AuthorsCode(release, importlib.import_module(f"{package.__name__}.cm"))
    raise SystemExit(f"--authors-code {path}: no {' or '.join(r.folder + '/cm.py' for r in RELEASES)} there; "
                     f"give the root of a clone of bupt-ai-cz/HHCL-ReID or alibaba/cluster-contrast-reid")


def make_memory(mode: str, clusters: int) -> torch.nn.Module:
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(clusters).repeat(2)
    features = F.normalize(torch.randn(labels.numel(), DIM, generator=generator), dim=1)
    memory = build_memory(mode, DIM, clusters, num_instances=SLOTS, temp=TEMP, momentum=MOMENTUM, mu=MU,
                          legacy_weighting=True)
    memory.reset(features, labels, generator=generator)
    return memory


def make_authors_memory(code: AuthorsCode, mode: str, ours: torch.nn.Module) -> torch.nn.Module:
    """The release's memory for ``mode`` holding the state of ``ours``, in
    its layout: ``CMhybrid`` rows = hard centroids then centroids;
    ``CMhybrid_v2`` rows = centroids then slot s of every cluster at
    ``(s + 1)·C + cluster``."""
    with contextlib.redirect_stdout(io.StringIO()):  # it prints its settings
        memory = code.module.ClusterMemory(DIM, ours.num_clusters, temp=TEMP, momentum=MOMENTUM,
                                           **code.release.modes[mode])
    if mode == "hard_mean":
        state = torch.cat([ours.hard_centroids, ours.centroids])
    elif mode == "hybrid":
        state = torch.cat([ours.centroids, ours.instances.transpose(0, 1).reshape(-1, DIM)])
    else:
        state = ours.centroids
    memory.features.copy_(state)
    return memory


def batches(clusters: int, count: int):
    generator = torch.Generator().manual_seed(1)
    for _ in range(count):
        ids = torch.randperm(clusters, generator=generator)[:BATCH_IDS]
        labels = ids.repeat_interleave(BATCH_INSTANCES)
        features = F.normalize(torch.randn(labels.numel(), DIM, generator=generator), dim=1)
        yield features, labels


def ours_step(memory, mode: str, features, labels) -> torch.Tensor:
    loss = sum(memory(features, labels).values())
    loss.backward()
    return loss


def authors_step(memory, mode: str, features, labels) -> torch.Tensor:
    loss = memory(features, labels)
    loss.backward()
    return loss


def loop_baseline_step(memory, mode: str, features, labels) -> torch.Tensor:
    """Dense autograd logits, then per-sample update loops."""
    temp, mu = memory.temp, getattr(memory, "mu", MU)
    if mode in ("mean", "hard"):
        loss = F.cross_entropy(features @ memory.centroids.t() / temp, labels)
    elif mode == "hard_mean":
        mean_weight = mu * (1 - mu) if memory.legacy_weighting else 1 - mu
        loss = mu * F.cross_entropy(features @ memory.hard_centroids.t() / temp, labels) + \
            mean_weight * F.cross_entropy(features @ memory.centroids.t() / temp, labels)
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
    return loss


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


@dataclass
class Runner:
    """One implementation of a mode: its step, its memory, its times and its
    last loss and feature gradient."""

    name: str
    step: Callable
    memory: torch.nn.Module
    times: list

    def run(self, mode: str, features: torch.Tensor, labels: torch.Tensor, timed: bool):
        features = features.clone().requires_grad_()
        start = time.perf_counter()
        loss = self.step(self.memory, mode, features, labels)
        elapsed = 1000 * (time.perf_counter() - start)
        if timed:
            self.times.append(elapsed)
        return loss.detach(), features.grad


def tangent(grad: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """The component of ``grad`` tangent to the unit sphere at each (unit)
    feature row: what is left of it through an L2 normalisation."""
    return grad - (grad * features).sum(dim=1, keepdim=True) * features


def compare_mode(mode: str, clusters: int, steps: int, code: AuthorsCode | None) -> dict:
    """Median ms of each implementation, and the largest loss and gradient
    differences between the authors' and ours."""
    ours = make_memory(mode, clusters)
    runners = [Runner("ours", ours_step, ours, []),
               Runner("loop", loop_baseline_step, make_memory(mode, clusters), [])]
    if code is not None:
        runners.append(Runner("authors", authors_step, make_authors_memory(code, mode, ours), []))
    loss_diff = grad_diff = 0.0
    for index, (features, labels) in enumerate(batches(clusters, steps + WARM_UP)):
        shift = index % len(runners)
        results = {runner.name: runner.run(mode, features, labels, timed=index >= WARM_UP)
                   for runner in runners[shift:] + runners[:shift]}
        if code is not None:
            (our_loss, our_grad), (their_loss, their_grad) = results["ours"], results["authors"]
            loss_diff = max(loss_diff, abs(float(our_loss - their_loss)))
            grad_gap = tangent(their_grad, features) - tangent(our_grad, features)
            grad_diff = max(grad_diff, float(grad_gap.abs().max()))
    return {runner.name: statistics.median(runner.times) for runner in runners} | \
        {"loss_diff": loss_diff, "grad_diff": grad_diff}


def load() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg()) + f" (1 / 5 / 15 min, {os.cpu_count()} CPUs)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=7, help="timed steps per mode (after 2 warm-up steps)")
    parser.add_argument("--clusters", type=int, nargs="+", default=[600, 2000], help="numbers of clusters C")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, torch.get_num_threads()],
                        help="torch thread counts (default: 1 and torch's default)")
    parser.add_argument("--authors-code", metavar="PATH",
                        help="root of a clone of bupt-ai-cz/HHCL-ReID or alibaba/cluster-contrast-reid, "
                             "timed side by side")
    args = parser.parse_args()
    if args.steps < 1:
        raise SystemExit(f"--steps must be at least 1, got {args.steps}")
    if min(args.clusters) < BATCH_IDS:
        raise SystemExit(f"every --clusters value must be at least {BATCH_IDS} (the clusters of one batch)")
    if min(args.threads) < 1:
        raise SystemExit(f"every --threads value must be at least 1, got {min(args.threads)}")
    code = import_authors_memory(args.authors_code) if args.authors_code else None
    modes = [mode for mode in MODES if code is None or mode in code.release.modes]

    print(f"Load average at the start: {load()}")
    print(f"B={BATCH_IDS * BATCH_INSTANCES} d={DIM} K={SLOTS} τ={TEMP} m={MOMENTUM} μ={MU}, CPU, "
          f"ms per step, median of {args.steps} steps")
    header = "| mode | C | threads | ours | loop baseline | loop / ours |"
    if code is not None:
        print(f"Authors' code: {code.release.name}, {Path(code.module.__file__).resolve()}"
              + ("" if torch.cuda.is_available() else "; torch.Tensor.cuda is the identity in this process"))
        header += " authors' code | authors' / ours | max abs Δloss | max abs Δgrad |"
    print(header + "\n" + "|".join(["", "---", *["--:"] * (header.count("|") - 2), ""]), flush=True)
    default_threads = torch.get_num_threads()
    no_cuda = contextlib.nullcontext() if torch.cuda.is_available() else \
        mock.patch.object(torch.Tensor, "cuda", lambda tensor, *args, **kwargs: tensor)
    worst_loss_diff = 0.0
    with no_cuda:
        for clusters in args.clusters:
            for threads in args.threads:
                torch.set_num_threads(threads)
                for mode in modes:
                    ms = compare_mode(mode, clusters, args.steps, code)
                    row = f"| {mode} | {clusters} | {threads} | {ms['ours']:.1f} | {ms['loop']:.1f} | " \
                          f"{ms['loop'] / ms['ours']:.2f}× |"
                    if code is not None:
                        worst_loss_diff = max(worst_loss_diff, ms["loss_diff"])
                        row += f" {ms['authors']:.1f} | {ms['authors'] / ms['ours']:.2f}× | " \
                               f"{ms['loss_diff']:.1e} | {ms['grad_diff']:.1e} |"
                    print(row, flush=True)
    torch.set_num_threads(default_threads)
    print(f"\nLoad average at the end: {load()}")
    if worst_loss_diff > LOSS_TOLERANCE:
        raise SystemExit(f"Our losses and the authors' differ by up to {worst_loss_diff:.1e} "
                         f"(> {LOSS_TOLERANCE:.0e}): the comparison is not like for like")


if __name__ == "__main__":
    main()
