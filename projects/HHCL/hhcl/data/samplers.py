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
    reproducible.
    """

    def __init__(self, items: Sequence[tuple], num_instances: int, seed: int):
        if num_instances < 1:
            raise ValueError(f"num_instances must be at least 1, got {num_instances}")
        self.num_instances = num_instances
        self.seed = seed
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

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng(self.seed)
        while True:
            for pid_index in rng.permutation(len(self.pids)):
                yield from self._group(self.pids[pid_index], rng)
