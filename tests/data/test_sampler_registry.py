"""The train samplers by name: the registry, determinism, per-rank slices, validation."""

from __future__ import annotations

import itertools

import pytest

from hhcl.data.samplers import (SAMPLER_REGISTRY, CameraAwareIdentitySampler, RandomMultipleGallerySampler,
                                RandomMultipleGallerySamplerNoCam, build_train_sampler)

NAMES = ["RandomMultipleGallerySampler", "RandomMultipleGallerySamplerNoCam", "CameraAwareIdentitySampler"]
#: Int pids and cameras; identity 0 has one image (groups of 1 shift batch alignment), identity 5 one camera.
ITEMS = ([("0.jpg", 0, 0)] + [(f"{pid}_{cam}_{i}.jpg", pid, cam) for pid in range(1, 5) for cam in range(pid)
                              for i in range(2)] + [(f"5_{i}.jpg", 5, 1) for i in range(3)])


def take(sampler, n: int) -> list[int]:
    return list(itertools.islice(iter(sampler), n))


def test_the_registry_holds_the_three_samplers_by_class_name():
    assert SAMPLER_REGISTRY.names() == NAMES
    assert SAMPLER_REGISTRY.config_key == "DATALOADER.SAMPLER_TRAIN"
    classes = [RandomMultipleGallerySampler, RandomMultipleGallerySamplerNoCam, CameraAwareIdentitySampler]
    for name, cls in zip(NAMES, classes):
        assert SAMPLER_REGISTRY.get(name) is cls
        sampler = build_train_sampler(name, ITEMS, 4, seed=0, batch_size=8)
        assert type(sampler) is cls and sampler.batch_size == 8 and sampler.num_instances == 4


def test_an_unknown_name_lists_the_choices():
    with pytest.raises(KeyError) as error:
        build_train_sampler("RandomIdentitySampler", ITEMS, 4, seed=0)
    assert isinstance(error.value, ValueError)
    message = str(error.value)
    assert "DATALOADER.SAMPLER_TRAIN" in message and "'RandomIdentitySampler'" in message
    assert all(name in message for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_a_seed_fixes_the_stream(name):
    first = take(build_train_sampler(name, ITEMS, 4, seed=11, batch_size=8), 2000)
    assert first == take(build_train_sampler(name, ITEMS, 4, seed=11, batch_size=8), 2000)
    assert first != take(build_train_sampler(name, ITEMS, 4, seed=12, batch_size=8), 2000)
    assert set(first) == set(range(len(ITEMS)))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("world_size", [2, 4])
def test_ranks_slices_concatenate_to_the_single_process_stream(name, world_size):
    batch_size, batches = 16 if world_size == 2 else 32, 60
    single = take(build_train_sampler(name, ITEMS, 4, seed=5, batch_size=batch_size), batches * batch_size)
    local = batch_size // world_size
    ranks = [take(build_train_sampler(name, ITEMS, 4, seed=5, batch_size=batch_size, rank=r, world_size=world_size),
                  batches * local) for r in range(world_size)]
    together = [i for b in range(batches) for r in ranks for i in r[b * local:(b + 1) * local]]
    assert together == single


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("batch_size", [15, 12, None])
def test_a_batch_that_does_not_split_into_whole_groups_per_rank_is_an_error(name, batch_size):
    with pytest.raises(ValueError, match=r"SOLVER.IMS_PER_BATCH \(.*\) must split into 2 processes of whole groups "
                                         r"of DATALOADER.NUM_INSTANCE \(4\) images"):
        build_train_sampler(name, ITEMS, 4, seed=0, batch_size=batch_size, rank=0, world_size=2)


@pytest.mark.parametrize("name", NAMES)
def test_no_items_is_an_error(name):
    with pytest.raises(ValueError, match="needs at least one item"):
        build_train_sampler(name, [], 4, seed=0)
