"""The camera-aware PK sampler: groups, camera preference, per-rank slices."""

import itertools

import pytest

from hhcl.data import CameraAwareIdentitySampler

ITEMS = [(f"{pid}_{cam}_{i}.jpg", pid, cam) for pid in range(6) for cam in range(3) for i in range(2)]


def first(sampler, n):
    return list(itertools.islice(iter(sampler), n))


def test_groups_of_k_prefer_other_cameras():
    indices = first(CameraAwareIdentitySampler(ITEMS, num_instances=4, seed=0), 24)
    for group in (indices[i:i + 4] for i in range(0, 24, 4)):
        assert len({ITEMS[i][1] for i in group}) == 1                        # one identity per group
        anchor_camera = ITEMS[group[0]][2]
        assert sum(ITEMS[i][2] != anchor_camera for i in group[1:]) == 3     # 4 other-camera images exist


def test_ranks_slices_make_the_single_process_batch():
    single = first(CameraAwareIdentitySampler(ITEMS, 4, seed=3), 3 * 16)
    ranks = [first(CameraAwareIdentitySampler(ITEMS, 4, seed=3, batch_size=16, rank=r, world_size=2), 3 * 8)
             for r in range(2)]
    for batch in range(3):
        together = ranks[0][batch * 8:(batch + 1) * 8] + ranks[1][batch * 8:(batch + 1) * 8]
        assert together == single[batch * 16:(batch + 1) * 16]


@pytest.mark.parametrize("batch_size", [15, 12])
def test_a_batch_that_does_not_split_into_whole_groups_per_rank_is_an_error(batch_size):
    with pytest.raises(ValueError, match="SOLVER.IMS_PER_BATCH .* must split into 2 processes"):
        CameraAwareIdentitySampler(ITEMS, 4, seed=0, batch_size=batch_size, rank=0, world_size=2)
