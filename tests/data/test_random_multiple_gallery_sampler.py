"""The release's samplers (RandomMultipleGallerySampler and its NoCam variant)
against a plain reference written from their rule, over thousands of groups."""

from __future__ import annotations

import itertools
import math
import random
import threading
from collections import Counter, defaultdict

import pytest

from hhcl.data.samplers import RandomMultipleGallerySampler, RandomMultipleGallerySamplerNoCam

K = 4
PASSES = 4000

#: Uneven clusters: pid -> cameras of its images (string pids and cameras).
CLUSTERS = {
    "lone": ["c0"],                                       # 1 image: group = anchor alone
    "one_cam_many": ["c1"] * 6,                           # no other camera, 5 others >= K: distinct
    "one_cam_few": ["c2"] * 3,                            # no other camera, 2 others < K: repeats
    "two_cam_k_minus_1": ["c0"] * 3 + ["c1"] * 3,         # K-1 other-camera images: with replacement
    "two_cam_k": ["c0"] * 4 + ["c1"] * 4,                 # K other-camera images: without replacement
    "many_cams": [f"c{c}" for c in range(5) for _ in range(2)],  # 8 other-camera images
    "uneven_two_cam": ["c0"] + ["c3"] * 5,                # 1 or 5 other-camera images
}
ITEMS = [(f"{pid}_{n}.jpg", pid, cam) for pid, cams in CLUSTERS.items() for n, cam in enumerate(cams)]
random.Random(0).shuffle(ITEMS)                           # an identity's images are not contiguous
PASS_LENGTH = sum(1 if len(cams) == 1 else K for cams in CLUSTERS.values())   # 25


def reference_group(images: list[tuple[int, str]], k: int, rng: random.Random, use_cameras: bool) -> list[int]:
    """The rule, written plainly: images are (dataset index, camera)."""
    anchor, anchor_camera = rng.choice(images)
    pool = []
    if use_cameras:
        for index, camera in images:
            if camera != anchor_camera:
                pool.append(index)
    if not pool:
        for index, camera in images:
            if index != anchor:
                pool.append(index)
    if not pool:
        return [anchor]
    if len(pool) >= k:
        rest = rng.sample(pool, k - 1)
    else:
        rest = [rng.choice(pool) for _ in range(k - 1)]
    return [anchor] + rest


def reference_groups(use_cameras: bool, seed: int = 123) -> dict[str, list[list[int]]]:
    rng = random.Random(seed)
    images = defaultdict(list)
    for index, (_, pid, camera) in enumerate(ITEMS):
        images[pid].append((index, camera))
    return {pid: [reference_group(images[pid], K, rng, use_cameras) for _ in range(PASSES)] for pid in CLUSTERS}


def take(sampler, n: int) -> list[int]:
    return list(itertools.islice(iter(sampler), n))


def split_pass(indices: list[int]) -> list[tuple[str, list[int]]]:
    """A pass's (pid, group) runs, in order."""
    runs: list[tuple[str, list[int]]] = []
    for index in indices:
        pid = ITEMS[index][1]
        if runs and runs[-1][0] == pid:
            runs[-1][1].append(index)
        else:
            runs.append((pid, [index]))
    return runs


def sampler_groups(sampler_class, seed: int = 7) -> tuple[dict[str, list[list[int]]], list[list[tuple]]]:
    stream = take(sampler_class(ITEMS, K, seed=seed), PASSES * PASS_LENGTH)
    passes = [split_pass(stream[i:i + PASS_LENGTH]) for i in range(0, len(stream), PASS_LENGTH)]
    groups = defaultdict(list)
    for runs in passes:
        for pid, group in runs:
            groups[pid].append(group)
    return groups, passes


def distinct(group: list[int]) -> int:
    return len(set(group))


def same_camera_fraction(group: list[int]) -> float:
    anchor_camera = ITEMS[group[0]][2]
    return sum(ITEMS[i][2] == anchor_camera for i in group[1:]) / (len(group) - 1)


def assert_same_frequencies(ours: list, reference: list, what: str) -> None:
    """Each value's share agrees within 5 standard errors (two-sample)."""
    n1, n2 = len(ours), len(reference)
    c1, c2 = Counter(ours), Counter(reference)
    for value in set(c1) | set(c2):
        p1, p2 = c1[value] / n1, c2[value] / n2
        pooled = (c1[value] + c2[value]) / (n1 + n2)
        tolerance = 5 * math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)) + 1e-12
        assert abs(p1 - p2) <= tolerance, f"{what}: share of {value}: {p1:.4f} vs reference {p2:.4f}"


def assert_same_mean(ours: list[float], reference: list[float], what: str) -> None:
    def mean_and_se(values):
        mean = sum(values) / len(values)
        variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
        return mean, math.sqrt(variance / len(values))

    (m1, s1), (m2, s2) = mean_and_se(ours), mean_and_se(reference)
    assert abs(m1 - m2) <= 5 * math.hypot(s1, s2) + 1e-12, f"{what}: mean {m1:.4f} vs reference {m2:.4f}"


@pytest.fixture(scope="module")
def rmgs():
    return sampler_groups(RandomMultipleGallerySampler)


@pytest.fixture(scope="module")
def no_cam():
    return sampler_groups(RandomMultipleGallerySamplerNoCam)


@pytest.mark.parametrize("variant", ["rmgs", "no_cam"])
def test_group_statistics_match_the_reference(variant, request):
    groups, _ = request.getfixturevalue(variant)
    reference = reference_groups(use_cameras=variant == "rmgs")
    for pid in CLUSTERS:
        ours, theirs = groups[pid], reference[pid]
        assert len(ours) == PASSES
        assert {len(g) for g in ours} == {len(g) for g in theirs} == ({1} if pid == "lone" else {K})
        assert_same_frequencies([distinct(g) for g in ours], [distinct(g) for g in theirs], f"{pid} distinct")
        if pid != "lone":
            assert_same_mean([same_camera_fraction(g) for g in ours], [same_camera_fraction(g) for g in theirs],
                             f"{pid} same-camera fraction")


def test_release_rule_exact_properties(rmgs):
    groups, _ = rmgs
    repeats = {pid: sum(distinct(g) < len(g) for g in groups[pid]) / PASSES for pid in CLUSTERS}
    # Another camera exists: same-camera companions never; a single camera: only same-camera ones.
    for pid in ("two_cam_k_minus_1", "two_cam_k", "many_cams", "uneven_two_cam"):
        assert all(same_camera_fraction(g) == 0 for g in groups[pid]), pid
    for pid in ("one_cam_many", "one_cam_few"):
        assert all(same_camera_fraction(g) == 1 for g in groups[pid]), pid
    # A pool of K or more never repeats; a pool of exactly K-1 is drawn with replacement.
    assert repeats["two_cam_k"] == repeats["many_cams"] == repeats["one_cam_many"] == 0
    assert abs(repeats["two_cam_k_minus_1"] - (1 - 3 * 2 * 1 / 3 ** 3)) < 0.03     # 21/27 of groups repeat
    assert repeats["one_cam_few"] == 1                                              # 3 draws from 2 images
    # One other-camera image: K-1 copies of it; five: K distinct (anchor on c0 with probability 1/6).
    shares = Counter(distinct(g) for g in groups["uneven_two_cam"])
    assert set(shares) == {2, 4} and abs(shares[4] / PASSES - 1 / 6) < 0.03


def test_no_cam_ignores_cameras(rmgs, no_cam):
    cam_groups, no_cam_groups = rmgs[0], no_cam[0]
    # 3 + 3 images on two cameras: the pool is the 5 others (2 on the anchor's camera), drawn without replacement.
    fractions = [same_camera_fraction(g) for g in no_cam_groups["two_cam_k_minus_1"]]
    assert abs(sum(fractions) / PASSES - 2 / 5) < 0.03
    assert all(distinct(g) == K for g in no_cam_groups["two_cam_k_minus_1"])
    assert sum(same_camera_fraction(g) for g in cam_groups["two_cam_k_minus_1"]) == 0
    assert any(same_camera_fraction(g) > 0 for g in no_cam_groups["many_cams"])
    assert all(len(g) == 1 for g in no_cam_groups["lone"])


@pytest.mark.parametrize("variant", ["rmgs", "no_cam"])
def test_every_identity_once_per_pass_with_uniform_anchors(variant, request):
    groups, passes = request.getfixturevalue(variant)
    for runs in passes:
        assert sorted(pid for pid, _ in runs) == sorted(CLUSTERS)
    first_pids = Counter(runs[0][0] for runs in passes)             # identity order is shuffled
    assert set(first_pids) == set(CLUSTERS)
    for pid, cams in CLUSTERS.items():
        anchors = Counter(g[0] for g in groups[pid])
        images = [i for i, item in enumerate(ITEMS) if item[1] == pid]
        assert set(anchors) == set(images)
        expected = PASSES / len(images)
        chi_square = sum((anchors[i] - expected) ** 2 / expected for i in images)
        dof = len(images) - 1
        assert chi_square <= dof + 6 * math.sqrt(2 * dof) + 1e-9, (pid, chi_square)


@pytest.mark.parametrize("sampler_class", [RandomMultipleGallerySampler, RandomMultipleGallerySamplerNoCam])
@pytest.mark.parametrize("batch_size", [8, 10, 5, 25])
def test_each_pass_is_cut_to_whole_batches(sampler_class, batch_size):
    passes = 50
    whole = take(sampler_class(ITEMS, K, seed=1), passes * PASS_LENGTH)
    kept = PASS_LENGTH - PASS_LENGTH % batch_size                   # 24, 20, 25, 25
    cut = take(sampler_class(ITEMS, K, seed=1, batch_size=batch_size), passes * kept)
    expected = [i for p in range(passes) for i in whole[p * PASS_LENGTH:p * PASS_LENGTH + kept]]
    assert cut == expected
    for start in range(0, len(cut), kept):                           # passes are aligned: no identity twice
        pids = [pid for pid, _ in split_pass(cut[start:start + kept])]
        assert len(pids) == len(set(pids)) >= len(CLUSTERS) - (PASS_LENGTH - kept) // K - 1


@pytest.mark.parametrize("sampler_class", [RandomMultipleGallerySampler, RandomMultipleGallerySamplerNoCam])
def test_a_pass_shorter_than_a_batch_is_emitted_whole(sampler_class):
    assert PASS_LENGTH < 32
    taken: list[list[int]] = []
    worker = threading.Thread(target=lambda: taken.append(take(sampler_class(ITEMS, K, seed=2, batch_size=32), 1000)),
                              daemon=True)                                       # a stalled stream never returns
    worker.start()
    worker.join(timeout=30)
    assert taken, "taking 1000 indices did not finish"
    assert taken[0] == take(sampler_class(ITEMS, K, seed=2), 1000)
    two_ids = [item for item in ITEMS if item[1] in ("two_cam_k", "many_cams")]  # passes of 8 indices
    ranks = [take(sampler_class(two_ids, K, seed=2, batch_size=16, rank=r, world_size=2), 500) for r in range(2)]
    assert all(len(r) == 500 for r in ranks)


def test_one_instance_groups_are_the_anchors():
    stream = take(RandomMultipleGallerySampler(ITEMS, 1, seed=4), 10 * len(CLUSTERS))
    for start in range(0, len(stream), len(CLUSTERS)):
        assert sorted(ITEMS[i][1] for i in stream[start:start + len(CLUSTERS)]) == sorted(CLUSTERS)
