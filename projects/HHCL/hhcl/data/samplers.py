"""PK sampling over pseudo identities, preferring other cameras."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler


class CameraAwareIdentitySampler(Sampler):
    """An infinite stream of indices in groups of ``num_instances`` per
    identity (P identities × K instances make a batch), identities in random
    order each round. Each group is an anchor plus K−1 instances of the same
    identity taken first from cameras other than the anchor's, then from the
    anchor's camera, then with repetition when the identity has fewer than K
    images (like the authors' RandomMultipleGallerySampler).

    ``items`` are (path, pid, camid) tuples; ``seed`` makes the stream
    reproducible. With ``world_size`` > 1 (``torch.distributed``), every
    process draws the same global stream and yields its own contiguous slice
    of each global batch of ``batch_size`` indices: the processes' batches
    together are the single-process batch, in rank order (as the memories
    gather them).
    """

    def __init__(self, items: Sequence[tuple], num_instances: int, seed: int, batch_size: int | None = None,
                 rank: int = 0, world_size: int = 1):
        if num_instances < 1:
            raise ValueError(f"num_instances must be at least 1, got {num_instances}")
        if world_size > 1:
            local, remainder = divmod(batch_size or 0, world_size)
            if remainder or local % num_instances:
                raise ValueError(f"SOLVER.IMS_PER_BATCH ({batch_size}) must split into {world_size} processes of "
                                 f"whole groups of DATALOADER.NUM_INSTANCE ({num_instances}) images")
        self.num_instances = num_instances
        self.seed = seed
        self.batch_size, self.rank, self.world_size = batch_size, rank, world_size
        camera_ids: dict = {}
        self.cameras = np.array([camera_ids.setdefault(item[2], len(camera_ids)) for item in items])
        self.index_by_pid: dict = defaultdict(list)
        for index, item in enumerate(items):
            self.index_by_pid[item[1]].append(index)
        self.pids = list(self.index_by_pid)
        if not self.pids:
            raise ValueError("CameraAwareIdentitySampler needs at least one item")

    def _group(self, pid, rng: np.random.Generator) -> list[int]:
        indices = np.array(self.index_by_pid[pid])
        anchor = indices[rng.integers(indices.size)]
        rest = indices[indices != anchor]
        other_camera = rest[self.cameras[rest] != self.cameras[anchor]]
        same_camera = rest[self.cameras[rest] == self.cameras[anchor]]
        ordered = np.concatenate([rng.permutation(other_camera), rng.permutation(same_camera)])
        group = [int(anchor)] + [int(i) for i in ordered[:self.num_instances - 1]]
        while len(group) < self.num_instances:
            group.append(int(indices[rng.integers(indices.size)]))
        return group

    def _global_stream(self) -> Iterator[int]:
        rng = np.random.default_rng(self.seed)
        while True:
            for pid_index in rng.permutation(len(self.pids)):
                yield from self._group(self.pids[pid_index], rng)

    def __iter__(self) -> Iterator[int]:
        if self.world_size == 1:
            yield from self._global_stream()
            return
        local = self.batch_size // self.world_size
        stream = self._global_stream()
        while True:
            batch = [next(stream) for _ in range(self.batch_size)]
            yield from batch[self.rank * local:(self.rank + 1) * local]
