import dataclasses

import pytest
from fastreid.config import get_cfg

from hhcl import add_hhcl_config
from hhcl.data import SyntheticSpec, synthetic_specs_from_cfg


@pytest.mark.parametrize("change, key", [
    ({"num_cameras": 7}, "NUM_CAMERAS"),
    ({"num_cameras": 1}, "NUM_CAMERAS"),
    ({"images_per_camera": 1}, "IMAGES_PER_CAMERA"),
    ({"difficulty": 1.5}, "DIFFICULTY"),
    ({"num_train_ids": 0}, "NUM_TRAIN_IDS"),
    ({"num_train_ids": 5000, "num_test_ids": 5000}, "at most 9999"),
    ({"image_size": (16, 8)}, "IMAGE_SIZE"),
])
def test_invalid_options_name_the_key(change, key):
    with pytest.raises(ValueError, match=key):
        SyntheticSpec(**change)


def test_config_keys_reach_the_spec():
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_list(["DATASETS.SYNTH_TARGET.NUM_TRAIN_IDS", "17", "DATASETS.SYNTH_TARGET.IMAGE_SIZE",
                         "[96, 48]", "DATASETS.SYNTH_SOURCE.DIFFICULTY", "0.2"])
    specs = synthetic_specs_from_cfg(cfg)
    assert specs["SyntheticTarget"].num_train_ids == 17
    assert specs["SyntheticTarget"].image_size == (96, 48)
    assert specs["SyntheticSource"].difficulty == 0.2
    assert SyntheticSpec.from_cfg(specs["SyntheticSource"].to_cfg_dict()) == specs["SyntheticSource"]


def test_fingerprint_depends_on_every_option_and_the_variant():
    spec = SyntheticSpec()
    prints = {spec.fingerprint("source"), spec.fingerprint("target")}
    for field in dataclasses.fields(SyntheticSpec):
        value = getattr(spec, field.name)
        changed = {"image_size": (64, 32), "difficulty": 0.25}.get(field.name, value + 1 if isinstance(value, int) else value)
        prints.add(dataclasses.replace(spec, **{field.name: changed}).fingerprint("source"))
    assert len(prints) == 2 + len(dataclasses.fields(SyntheticSpec))
