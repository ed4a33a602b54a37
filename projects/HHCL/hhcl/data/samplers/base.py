"""The machinery every train sampler shares: items grouped by identity, an
endless seeded stream of passes, and each process's slice of the global batch."""

from __future__ import annotations

import abc
from collections import defaultdict
from typing import Hashable, Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler


class IdentityGroupSampler(Sampler, metaclass=abc.ABCMeta):
    """Base of the train samplers: an endless stream of dataset indices made
    of passes, each pass visiting every identity once in a fresh random order
    and emitting one group of images (``_group``) per identity.

    ``items`` are (path, pid, camid) tuples; pids and camids may be ints or
    strings. One ``numpy.random.Generator`` seeded with ``seed`` draws
    everything, so the stream is reproducible. A subclass that sets
    ``drop_last_partial_batch`` cuts each pass, after drawing it whole, to a
    whole number of global batches of ``batch_size`` indices when it holds at
    least one (see :meth:`_cut`).

    With ``world_size`` > 1 (``torch.distributed``), every process draws the
    same global stream and yields its own contiguous slice of each global
    batch of ``batch_size`` indices: the processes' batches together, in rank
    order, are the single-process batch (as the memories gather them), so the
    ranks' slices concatenate to the single-process stream.
    """

    #: Cut every pass to whole global batches (the release's ``drop_last``).
    drop_last_partial_batch: bool = False

    def __init__(self, items: Sequence[tuple], num_instances: int, seed: int, batch_size: int | None = None,
                 rank: int = 0, world_size: int = 1):
        if num_instances < 1:
            raise ValueError(f"num_instances must be at least 1, got {num_instances}")
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not one of world_size {world_size} processes")
        if world_size > 1:
            local, remainder = divmod(batch_size or 0, world_size)
            if not local or remainder or local % num_instances:
                raise ValueError(f"SOLVER.IMS_PER_BATCH ({batch_size}) must split into {world_size} processes of "
                                 f"whole groups of DATALOADER.NUM_INSTANCE ({num_instances}) images")
        self.num_instances = num_instances
        self.seed = seed
        self.batch_size, self.rank, self.world_size = batch_size, rank, world_size
        camera_ids: dict = {}
        #: Each item's camera as a small int (cameras numbered in order of appearance).
        self.cameras = np.array([camera_ids.setdefault(item[2], len(camera_ids)) for item in items], dtype=np.int64)
        by_pid: dict = defaultdict(list)
        for index, item in enumerate(items):
            by_pid[item[1]].append(index)
        #: Each identity's dataset indices, in dataset order.
        self.index_by_pid: dict[Hashable, np.ndarray] = {pid: np.array(indices, dtype=np.int64)
                                                          for pid, indices in by_pid.items()}
        #: The identities in order of first appearance (the permutation indexes this list).
        self.pids = list(self.index_by_pid)
        if not self.pids:
            raise ValueError(f"{type(self).__name__} needs at least one item")

    @abc.abstractmethod
    def _group(self, pid: Hashable, rng: np.random.Generator) -> list[int]:
        """The dataset indices emitted for identity ``pid`` in one pass."""

    def _draw_pass(self, rng: np.random.Generator) -> list[int]:
        """One pass: every identity once, in a fresh random order, each as its group."""
        indices: list[int] = []
        for pid_index in rng.permutation(len(self.pids)):
            indices.extend(self._group(self.pids[pid_index], rng))
        return indices

    def _cut(self, indices: list[int]) -> list[int]:
        """The pass as emitted: with ``drop_last_partial_batch`` and a
        ``batch_size``, its first whole number of global batches — unless it
        is shorter than one batch, then whole (never an empty pass, which
        would stall the stream)."""
        if not self.drop_last_partial_batch or self.batch_size is None or len(indices) < self.batch_size:
            return indices
        return indices[:len(indices) - len(indices) % self.batch_size]

    def _global_stream(self) -> Iterator[int]:
        rng = np.random.default_rng(self.seed)
        while True:
            yield from self._cut(self._draw_pass(rng))

    def __iter__(self) -> Iterator[int]:
        if self.world_size == 1:
            yield from self._global_stream()
            return
        local = self.batch_size // self.world_size
        stream = self._global_stream()
        while True:
            batch = [next(stream) for _ in range(self.batch_size)]
            yield from batch[self.rank * local:(self.rank + 1) * local]
