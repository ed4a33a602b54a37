"""``SAMPLER_REGISTRY``: the train samplers by ``DATALOADER.SAMPLER_TRAIN``."""

from __future__ import annotations

from typing import Sequence

from ...registry import Registry

SAMPLER_REGISTRY = Registry("SAMPLER", config_key="DATALOADER.SAMPLER_TRAIN")
SAMPLER_REGISTRY.__doc__ = """Sampler classes ``(items, num_instances, seed, batch_size=None, rank=0, world_size=1)``,
registered under their class names."""


def build_train_sampler(name: str, items: Sequence[tuple], num_instances: int, seed: int,
                        batch_size: int | None = None, rank: int = 0, world_size: int = 1):
    """The sampler registered as ``name`` over ``items`` ((path, pid, camid)
    tuples); an unknown name raises the registry's error listing the choices."""
    return SAMPLER_REGISTRY.get(name)(items, num_instances, seed, batch_size=batch_size, rank=rank,
                                      world_size=world_size)
