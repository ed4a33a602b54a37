import collections
import dataclasses

from hhcl.data.synthetic import SOURCE_DEFAULTS, TARGET_DEFAULTS, SyntheticSpec
from hhcl.data.synthetic.world import sample_cameras, sample_identities


def test_identities_are_unique_and_reproducible():
    first = sample_identities(SOURCE_DEFAULTS, "source")
    assert len(first) == SOURCE_DEFAULTS.num_train_ids + SOURCE_DEFAULTS.num_test_ids
    assert len({p.key() for p in first}) == len(first)
    assert first == sample_identities(SOURCE_DEFAULTS, "source")


def test_source_and_target_identities_are_disjoint_whatever_the_seeds():
    for seed in range(3):
        spec = dataclasses.replace(SOURCE_DEFAULTS, seed=seed)
        source = {p.key() for p in sample_identities(spec, "source")}
        target = {p.key() for p in sample_identities(dataclasses.replace(TARGET_DEFAULTS, seed=seed), "target")}
        assert not source & target


def test_no_single_attribute_identifies_a_person():
    people = sample_identities(SyntheticSpec(num_train_ids=300, num_test_ids=300, difficulty=0.5), "target")
    for field in dataclasses.fields(people[0]):
        if field.name in ("height", "build"):
            continue  # continuous, and drawn from overlapping ranges
        counts = collections.Counter(getattr(p, field.name) for p in people)
        singled_out = sum(1 for p in people if counts[getattr(p, field.name)] == 1)
        assert singled_out == 0, field.name
        assert max(counts.values()) >= len(people) / len(counts), field.name


def test_look_alike_groups_grow_with_difficulty():
    def mean_nearest_difference(difficulty):
        people = sample_identities(SyntheticSpec(num_train_ids=60, num_test_ids=60, difficulty=difficulty), "source")
        keys = [p.key()[2:] for p in people]
        return sum(min(sum(a != b for a, b in zip(k, other)) for other in keys if other is not k)
                   for k in keys) / len(keys)

    assert mean_nearest_difference(1.0) < mean_nearest_difference(0.5) < mean_nearest_difference(0.0)


def test_camera_set_ups_differ_between_cameras_and_variants():
    source = sample_cameras(SOURCE_DEFAULTS, "source")
    target = sample_cameras(TARGET_DEFAULTS, "target")
    assert (len(source), len(target)) == (4, 6)
    assert len({(c.gain, c.cast, c.scene_seed) for c in source + target}) == 10
    clean = sample_cameras(dataclasses.replace(SOURCE_DEFAULTS, difficulty=0.0), "source")
    assert all(c.blur == 0 and c.noise == 0 and c.occlusion_prob == 0 for c in clean)
