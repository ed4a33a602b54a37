"""``CameraAwareIdentitySampler``: PK groups that prefer other cameras, topped up with repeats."""

from __future__ import annotations

from typing import Hashable

import numpy as np

from .base import IdentityGroupSampler
from .registry import SAMPLER_REGISTRY


@SAMPLER_REGISTRY.register()
class CameraAwareIdentitySampler(IdentityGroupSampler):
    """An endless stream of groups of exactly K = ``num_instances`` indices
    per identity (P identities × K instances make a batch), identities in a
    fresh random order each pass, passes never cut.

    Group rule for an identity: the anchor is uniformly random among its
    images and comes first; then up to K−1 of its other images, taken in
    random order first from cameras other than the anchor's, then from the
    anchor's camera (so same-camera images fill in only when fewer than K−1
    other-camera images exist), all distinct; when the identity has fewer
    than K images, the group is topped up to K with uniformly random repeats
    of its images (anchor included). A lone image gives K copies of itself.

    ``items``, ``seed``, ``batch_size``, ``rank`` and ``world_size`` as in
    :class:`IdentityGroupSampler` (each rank its contiguous slice of every
    global batch of ``batch_size`` indices).
    """

    def _group(self, pid: Hashable, rng: np.random.Generator) -> list[int]:
        indices = self.index_by_pid[pid]
        anchor = indices[rng.integers(indices.size)]
        rest = indices[indices != anchor]
        other_camera = rest[self.cameras[rest] != self.cameras[anchor]]
        same_camera = rest[self.cameras[rest] == self.cameras[anchor]]
        ordered = np.concatenate([rng.permutation(other_camera), rng.permutation(same_camera)])
        group = [int(anchor)] + [int(i) for i in ordered[:self.num_instances - 1]]
        while len(group) < self.num_instances:
            group.append(int(indices[rng.integers(indices.size)]))
        return group
