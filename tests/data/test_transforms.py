import pytest
import torch
from fastreid.config import get_cfg
from fastreid.data.transforms import ToTensor
from torchvision.transforms import RandomErasing
from PIL import Image

from hhcl import add_hhcl_config
from hhcl.data import RandomColorCast, build_train_transforms


def _cfg(**color_cast):
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.INPUT.SIZE_TRAIN = [32, 16]
    cfg.INPUT.REA.ENABLED = True
    for key, value in color_cast.items():
        cfg.INPUT.COLOR_CAST[key] = value
    return cfg


def test_color_cast_scales_each_channel_by_one_gain_within_strength():
    torch.manual_seed(0)
    image = torch.full((3, 8, 4), 100.0)
    image[:, 0, 0] = torch.tensor([10.0, 20.0, 30.0])
    cast = RandomColorCast(prob=1.0, strength=0.3)(image.clone())
    gains = cast[:, 1, 1] / 100.0
    assert torch.allclose(cast, image * gains[:, None, None])      # one gain per channel, the same at every pixel
    assert ((gains >= 0.7) & (gains <= 1.3)).all()
    assert len(set(gains.tolist())) == 3                              # channels get their own gains: a tint


def test_color_cast_clips_to_the_pixel_range_and_respects_prob():
    torch.manual_seed(0)
    bright = torch.full((3, 4, 4), 250.0)
    casts = torch.stack([RandomColorCast(prob=1.0, strength=0.5)(bright.clone()) for _ in range(20)])
    assert casts.max() <= 255.0 and (casts == 255.0).any()
    untouched = [torch.equal(RandomColorCast(prob=0.0, strength=0.5)(bright.clone()), bright) for _ in range(20)]
    assert all(untouched)


@pytest.mark.parametrize("prob, strength, key", [(1.5, 0.2, "PROB"), (0.5, 1.0, "STRENGTH"), (0.5, -0.1, "STRENGTH")])
def test_color_cast_rejects_bad_settings_by_config_key(prob, strength, key):
    with pytest.raises(ValueError, match=f"INPUT.COLOR_CAST.{key}"):
        RandomColorCast(prob, strength)


def test_train_transforms_insert_the_cast_after_to_tensor_and_before_erasing():
    steps = build_train_transforms(_cfg(ENABLED=True, PROB=1.0, STRENGTH=0.2)).transforms
    kinds = [type(step) for step in steps]
    assert kinds.index(RandomColorCast) == kinds.index(ToTensor) + 1
    assert kinds.index(RandomColorCast) < kinds.index(RandomErasing)
    assert RandomColorCast not in [type(step) for step in build_train_transforms(_cfg()).transforms]


def test_train_transforms_apply_the_cast_to_a_real_image():
    cfg = _cfg(ENABLED=True, PROB=1.0, STRENGTH=0.4)
    cfg.INPUT.REA.ENABLED = False
    cfg.INPUT.FLIP.ENABLED = False
    cfg.INPUT.PADDING.ENABLED = False
    grey = Image.new("RGB", (16, 32), (128, 128, 128))
    torch.manual_seed(1)
    out = build_train_transforms(cfg)(grey)
    assert out.shape == (3, 32, 16)
    channel_means = out.mean(dim=(1, 2))
    assert channel_means.max() - channel_means.min() > 1.0           # the grey image is tinted
