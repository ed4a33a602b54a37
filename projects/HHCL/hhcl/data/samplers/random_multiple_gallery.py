"""``RandomMultipleGallerySampler``: the HHCL / Cluster Contrast release's sampler."""

from __future__ import annotations

from typing import Hashable

import numpy as np

from .base import IdentityGroupSampler
from .registry import SAMPLER_REGISTRY


@SAMPLER_REGISTRY.register()
class RandomMultipleGallerySampler(IdentityGroupSampler):
    """The release's sampler (HHCL and Cluster Contrast ``RandomMultipleGallerySampler``).

    The stream is a sequence of passes; each pass visits every identity once,
    in a fresh random order, and emits one group per identity. With
    K = ``num_instances``, an identity's group is:

    - the **anchor**, uniformly random among its images, emitted first;
    - then K−1 draws from the pool P of its images whose camera differs from
      the anchor's: **without** replacement if ``len(P) >= K`` (K, not K−1),
      otherwise **with** replacement (so a pool of exactly K−1 images is drawn
      with replacement and repeats). Same-camera images are never used when P
      is non-empty;
    - if P is empty (all its images share the anchor's camera), the same rule
      on Q, its other images; if Q is empty too (a lone image), the group is
      the anchor alone: size 1, nothing padded (later groups then straddle
      batch boundaries, as in the release).

    Draws are emitted in the order drawn. So every group has K indices except
    a lone image's, which has 1.

    **Dropping partial batches.** The release wraps the sampler in a
    ``DataLoader(drop_last=True)`` re-created every pass, which drops each
    pass's last partial batch. Here, when ``batch_size`` (the global batch) is
    given, each pass is drawn whole and then cut to a whole number of global
    batches — but only when it holds at least one whole batch: a pass shorter
    than one batch is emitted whole (the release would loop forever yielding
    nothing there; this stream never stalls). Without ``batch_size`` passes
    are not cut.

    One ``numpy.random.Generator`` seeded with ``seed`` draws the identity
    order, anchors and pools (the release mixes torch, Python and NumPy RNGs:
    the distribution is the same, the bits are not). ``items``,
    ``batch_size``, ``rank`` and ``world_size`` as in
    :class:`IdentityGroupSampler` (each rank its contiguous slice of every
    global batch).
    """

    drop_last_partial_batch = True

    def _pool(self, indices: np.ndarray, cameras: np.ndarray, anchor: int) -> np.ndarray:
        """The images the K−1 companions of ``indices[anchor]`` are drawn from."""
        pool = indices[cameras != cameras[anchor]]
        return pool if pool.size else np.delete(indices, anchor)

    def _group(self, pid: Hashable, rng: np.random.Generator) -> list[int]:
        indices = self.index_by_pid[pid]
        anchor = int(rng.integers(indices.size))
        pool = self._pool(indices, self.cameras[indices], anchor)
        if not pool.size:
            return [int(indices[anchor])]
        draws = rng.choice(pool, size=self.num_instances - 1, replace=pool.size < self.num_instances)
        return [int(indices[anchor])] + [int(i) for i in draws]
