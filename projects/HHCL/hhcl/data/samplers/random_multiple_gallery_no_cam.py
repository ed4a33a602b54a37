"""``RandomMultipleGallerySamplerNoCam``: the release's sampler with cameras ignored (Cluster Contrast ``--no-cam``)."""

from __future__ import annotations

import numpy as np

from .random_multiple_gallery import RandomMultipleGallerySampler
from .registry import SAMPLER_REGISTRY


@SAMPLER_REGISTRY.register()
class RandomMultipleGallerySamplerNoCam(RandomMultipleGallerySampler):
    """Cluster Contrast's ``RandomMultipleGallerySamplerNoCam`` (its ``--no-cam``).

    As :class:`RandomMultipleGallerySampler` (passes visiting every identity
    once in a fresh random order; each pass cut to whole global batches when
    ``batch_size`` is given and the pass holds at least one), except that the
    pool ignores cameras. An identity's group is the anchor, uniformly random
    among its images and emitted first, then K−1 = ``num_instances`` − 1 draws
    from the pool of **all its other images** (any camera): without
    replacement if the pool has at least K images, otherwise with replacement.
    A lone image gives the anchor alone (size 1, nothing padded).
    """

    def _pool(self, indices: np.ndarray, cameras: np.ndarray, anchor: int) -> np.ndarray:
        return np.delete(indices, anchor)
