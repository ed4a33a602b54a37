"""Train samplers over pseudo-labelled items, chosen by ``DATALOADER.SAMPLER_TRAIN``.

=====================================  ==========================================================
name                                   group of K images per identity
=====================================  ==========================================================
``RandomMultipleGallerySampler``       the release's: anchor + K−1 from other cameras; passes cut
                                       to whole batches (HHCL, Cluster Contrast)
``RandomMultipleGallerySamplerNoCam``  as above, cameras ignored (Cluster Contrast ``--no-cam``)
``CameraAwareIdentitySampler``         anchor + other cameras first, then same camera, then repeats
=====================================  ==========================================================

All take ``(items, num_instances, seed, batch_size=None, rank=0, world_size=1)``
and yield an endless seeded stream whose per-rank slices concatenate to the
single-process stream (:class:`IdentityGroupSampler`). A new sampler is an
:class:`IdentityGroupSampler` subclass registered in :data:`SAMPLER_REGISTRY`.
"""

from __future__ import annotations

from .base import IdentityGroupSampler
from .random_multiple_gallery import RandomMultipleGallerySampler
from .random_multiple_gallery_no_cam import RandomMultipleGallerySamplerNoCam
from .camera_aware import CameraAwareIdentitySampler
from .registry import SAMPLER_REGISTRY, build_train_sampler

__all__ = ["SAMPLER_REGISTRY", "CameraAwareIdentitySampler", "IdentityGroupSampler", "RandomMultipleGallerySampler",
           "RandomMultipleGallerySamplerNoCam", "build_train_sampler"]
