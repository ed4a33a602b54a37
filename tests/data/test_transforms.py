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


# --- Random erasing of the HHCL / Cluster Contrast releases (INPUT.REA.MODE: release) ---------------------------

import math
import random

import torchvision.transforms as TV

from hhcl.data.transforms import (RELEASE_ERASING_FILL_NORMALISED, Rectangle, ReleaseRandomErasing,
                                  sample_rectangle)

H, W = 256, 128                       # FastReID / the releases' train size
N_DRAWS = 20_000
RELEASE_FILL = (0.485, 0.456, 0.406)  # written into the normalised tensor by the releases
LINEAR_FRACTION_BELOW_ONE = (1 - 0.3) / (1 / 0.3 - 0.3)  # P(r < 1), r ~ U(0.3, 3.33): 0.2308 (log-uniform: 0.5)


def _reference_rectangle(height, width, rng, attempts=100):
    """The releases' rule, written plainly with Python's ``random``."""
    for _ in range(attempts):
        area = rng.uniform(0.02, 0.4) * height * width
        aspect = rng.uniform(0.3, 1 / 0.3)
        h = int(round(math.sqrt(area * aspect)))
        w = int(round(math.sqrt(area / aspect)))
        if w < width and h < height:
            return rng.randint(0, height - h), rng.randint(0, width - w), h, w
    return None


def _acceptance_grid(height, width, n=2000):
    """(accepted, h, w) on an n×n midpoint grid of the two uniform draws (area
    fraction, aspect): the analytic law of one try, to ~1/n."""
    u = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    area = (0.02 + 0.38 * u)[:, None] * height * width
    aspect = (0.3 + (1 / 0.3 - 0.3) * u)[None, :]
    h = torch.round(torch.sqrt(area * aspect))       # half to even, as Python's round
    w = torch.round(torch.sqrt(area / aspect))
    return (h < height) & (w < width), h, w


def _draws(n, height=H, width=W):
    torch.manual_seed(0)
    rects = [sample_rectangle(height, width) for _ in range(n)]
    rng = random.Random(0)
    refs = [_reference_rectangle(height, width, rng) for _ in range(n)]
    return rects, refs


def _ks(a, b):
    """Two-sample Kolmogorov–Smirnov statistic (sup |CDF_a − CDF_b|)."""
    a, b = torch.sort(torch.as_tensor(a, dtype=torch.float64))[0], torch.sort(torch.as_tensor(b, dtype=torch.float64))[0]
    points = torch.cat([a, b])
    cdf_a = torch.searchsorted(a, points, right=True) / len(a)
    cdf_b = torch.searchsorted(b, points, right=True) / len(b)
    return (cdf_a - cdf_b).abs().max().item()


def _weighted_ks(sample, values, weights):
    """KS statistic of ``sample`` against the discrete law (values, weights)."""
    order = torch.argsort(values)
    values, cdf = values[order], torch.cumsum(weights[order], 0) / weights.sum()
    sample = torch.sort(torch.as_tensor(sample, dtype=torch.float64))[0]
    points = torch.cat([sample, values])
    law = torch.cat([torch.zeros(1, dtype=torch.float64), cdf])[torch.searchsorted(values, points, right=True)]
    empirical = torch.searchsorted(sample, points, right=True) / len(sample)
    return (empirical - law).abs().max().item()


def test_sample_rectangle_follows_the_rule_geometrically():
    torch.manual_seed(3)
    for height, width in [(H, W), (64, 32), (7, 5), (2, 2)]:
        for _ in range(500):
            rect = sample_rectangle(height, width)
            assert isinstance(rect, Rectangle)
            top, left, h, w = rect
            assert h < height and w < width                       # strict acceptance
            assert 0 <= top <= height - h and 0 <= left <= width - w
    # placement covers both ends of the inclusive ranges: [0, H - h] and [0, W - w]
    torch.manual_seed(4)
    rects = [sample_rectangle(3, 3) for _ in range(3000)]
    assert {r.top for r in rects if r.height == 2} == {0, 1}
    assert {r.left for r in rects if r.width == 2} == {0, 1}


def test_erased_area_distribution_matches_the_reference_and_the_analytic_law():
    rects, refs = _draws(N_DRAWS)
    assert None not in rects and None not in refs
    frac = torch.tensor([r.height * r.width / (H * W) for r in rects], dtype=torch.float64)
    ref = torch.tensor([h * w / (H * W) for _, _, h, w in refs], dtype=torch.float64)
    accepted, gh, gw = _acceptance_grid(H, W)
    law_values, law_weights = (gh * gw / (H * W))[accepted], torch.ones(int(accepted.sum()), dtype=torch.float64)
    law_mean = law_values.mean().item()
    standard_error = frac.std().item() / math.sqrt(N_DRAWS)
    assert abs(frac.mean().item() - ref.mean().item()) < 4 * math.sqrt(2) * standard_error
    assert abs(frac.mean().item() - law_mean) < 4 * standard_error
    for q in (0.1, 0.5, 0.9):
        assert abs(torch.quantile(frac, q).item() - torch.quantile(ref, q).item()) < 0.01
    # KS critical values at α = 0.001: 1.95·sqrt(2/n) two-sample, 1.95/sqrt(n) one-sample (+ grid error)
    assert _ks(frac, ref) < 1.95 * math.sqrt(2 / N_DRAWS)
    assert _weighted_ks(frac, law_values, law_weights) < 1.95 / math.sqrt(N_DRAWS) + 0.002
    # the acceptance rule bites: wide rectangles of large area are rejected (w >= W), so the accepted
    # mean (law: 0.2038) is below the mean target area 0.21; the maximum is 0.4 up to rounding
    assert law_mean < 0.21 - 0.005 and frac.mean().item() < 0.21 - 4 * standard_error
    assert frac.min().item() >= 0.02 - 0.005 and frac.max().item() <= 0.4 + 0.005


def test_aspect_ratio_is_uniform_on_a_linear_scale():
    rects, refs = _draws(N_DRAWS)
    # Below 9 % of the image no try can be rejected on 256×128 (h, w <= ~100), so there
    # h / w is the drawn aspect (up to rounding), uniform on [0.3, 3.33].
    small = [r for r in rects if r.height * r.width < 0.09 * H * W]
    ratios = torch.tensor([r.height / r.width for r in small], dtype=torch.float64)
    assert len(small) > 3000
    below_one = (ratios < 1).double().mean().item()
    assert abs(below_one - LINEAR_FRACTION_BELOW_ONE) < 4 * math.sqrt(0.25 / len(small))
    uniform = torch.linspace(0.3, 1 / 0.3, 100_001, dtype=torch.float64)
    assert _weighted_ks(ratios, uniform, torch.ones_like(uniform)) < 1.95 / math.sqrt(len(small)) + 0.01
    assert ratios.min().item() > 0.27 and ratios.max().item() < 3.6
    log_uniform = torch.exp(torch.linspace(math.log(0.3), math.log(1 / 0.3), 100_001, dtype=torch.float64))
    assert _weighted_ks(ratios, log_uniform, torch.ones_like(log_uniform)) > 0.1  # not torchvision's log scale
    # Among all accepted rectangles, the fraction taller-than-wide ... wider-than-tall matches the
    # reference and the analytic law (rejection of wide rectangles lowers it below 0.2308).
    wide = sum(r.height < r.width for r in rects) / N_DRAWS
    wide_ref = sum(h < w for _, _, h, w in refs) / N_DRAWS
    accepted, gh, gw = _acceptance_grid(H, W)
    wide_law = (gh < gw)[accepted].double().mean().item()
    tolerance = 4 * math.sqrt(0.25 / N_DRAWS)
    assert abs(wide - wide_ref) < math.sqrt(2) * tolerance and abs(wide - wide_law) < tolerance
    assert wide < LINEAR_FRACTION_BELOW_ONE


def test_erase_probability_is_prob():
    erase = ReleaseRandomErasing(prob=0.5, fill=(1.0, 2.0, 3.0))
    image = torch.zeros(3, 64, 32)
    torch.manual_seed(5)
    erased = sum(not torch.equal(erase(image), image) for _ in range(N_DRAWS)) / N_DRAWS
    assert abs(erased - 0.5) < 4 * math.sqrt(0.25 / N_DRAWS)
    torch.manual_seed(6)
    assert all(torch.equal(ReleaseRandomErasing(0.0, (1.0, 2.0, 3.0))(image), image) for _ in range(200))
    assert not any(torch.equal(ReleaseRandomErasing(1.0, (1.0, 2.0, 3.0))(image), image) for _ in range(200))


def _erased_mask(before, after):
    mask = (before != after).any(dim=0)
    rows, cols = mask.any(dim=1).nonzero().flatten(), mask.any(dim=0).nonzero().flatten()
    box = torch.zeros_like(mask)
    box[rows.min():rows.max() + 1, cols.min():cols.max() + 1] = True
    assert torch.equal(mask, box)                                      # one solid rectangle
    return mask


def test_full_transform_erases_one_rectangle_with_the_release_fill_in_normalised_units():
    mean = torch.tensor([123.675, 116.28, 103.53])[:, None, None]
    std = torch.tensor([58.395, 57.12, 57.375])[:, None, None]
    erase = ReleaseRandomErasing.from_normalised_fill(1.0, mean.flatten().tolist(), std.flatten().tolist())
    assert erase.fill[0] == pytest.approx(0.485 * 58.395 + 123.675)
    torch.manual_seed(7)
    image = torch.rand(3, H, W) * 255.0
    kept = image.clone()
    fractions = []
    for _ in range(300):
        out = erase(image)
        assert torch.equal(image, kept)                                # the input is not modified
        mask = _erased_mask(image, out)
        normalised = (out - mean) / std
        assert torch.allclose(normalised[:, mask], torch.tensor(RELEASE_FILL)[:, None], atol=1e-4, rtol=0)
        assert torch.equal(out[:, ~mask], image[:, ~mask])             # the rest untouched
        fractions.append(mask.double().mean().item())
    accepted, gh, gw = _acceptance_grid(H, W)
    law = (gh * gw / (H * W))[accepted]
    fractions = torch.tensor(fractions, dtype=torch.float64)
    assert abs(fractions.mean().item() - law.mean().item()) < 4 * fractions.std().item() / math.sqrt(len(fractions))


@pytest.mark.parametrize("height, width", [(1, 64), (64, 1)])
def test_no_accepted_try_leaves_the_image_unchanged(height, width):
    # One row (column) of 64: area·r >= 0.02·64·0.3 > 0.25, so h (w) rounds to >= 1 = H (W): every try fails.
    assert not _acceptance_grid(height, width)[0].any()
    torch.manual_seed(8)
    assert all(sample_rectangle(height, width) is None for _ in range(100))
    image = torch.rand(3, height, width) * 255.0
    assert all(torch.equal(ReleaseRandomErasing(1.0, (0.0, 0.0, 0.0))(image), image) for _ in range(100))


def test_up_to_100_tries():
    # On 2×40 one try is accepted with probability q ≈ 0.019: 100 tries succeed with 1 − (1 − q)^100 ≈ 0.85,
    # torchvision's 10 with ≈ 0.17.
    q = _acceptance_grid(2, 40)[0].double().mean().item()
    assert 0.01 < q < 0.03
    n = 4000
    torch.manual_seed(9)
    success = sum(sample_rectangle(2, 40) is not None for _ in range(n)) / n
    success_10 = sum(sample_rectangle(2, 40, attempts=10) is not None for _ in range(n)) / n
    for rate, attempts in [(success, 100), (success_10, 10)]:
        expected = 1 - (1 - q) ** attempts
        assert abs(rate - expected) < 4 * math.sqrt(expected * (1 - expected) / n) + 0.01


def _release_cfg(**color_cast):
    cfg = _cfg(**color_cast)
    cfg.INPUT.REA.MODE = "release"
    return cfg


def test_release_mode_replaces_torchvision_erasing_at_the_same_position():
    fastreid_steps = build_train_transforms(_cfg()).transforms
    release_steps = build_train_transforms(_release_cfg()).transforms
    kinds = [type(step) for step in fastreid_steps]
    release_kinds = [type(step) for step in release_steps]
    position = kinds.index(TV.RandomErasing)
    assert release_kinds == kinds[:position] + [ReleaseRandomErasing] + kinds[position + 1:]
    erase = release_steps[position]
    cfg = _release_cfg()
    assert erase.prob == cfg.INPUT.REA.PROB and erase.attempts == 100
    assert erase.area_range == (0.02, 0.4) and erase.min_aspect == 0.3
    expected_fill = [v * s + m for v, m, s in zip(RELEASE_ERASING_FILL_NORMALISED, cfg.MODEL.PIXEL_MEAN, cfg.MODEL.PIXEL_STD)]
    assert erase.fill == pytest.approx(expected_fill)
    # with the colour cast: the cast right after ToTensor, still before the (release) erasing
    cast_kinds = [type(step) for step in build_train_transforms(_release_cfg(ENABLED=True)).transforms]
    assert cast_kinds.index(RandomColorCast) == cast_kinds.index(ToTensor) + 1
    assert cast_kinds.index(RandomColorCast) < cast_kinds.index(ReleaseRandomErasing)
    assert TV.RandomErasing not in cast_kinds
    # erasing off: no erasing of either kind
    cfg = _release_cfg()
    cfg.INPUT.REA.ENABLED = False
    off_kinds = [type(step) for step in build_train_transforms(cfg).transforms]
    assert ReleaseRandomErasing not in off_kinds and TV.RandomErasing not in off_kinds


def test_fastreid_mode_is_fastreids_pipeline():
    from fastreid.data.transforms import build_transforms
    cfg = _cfg()
    assert cfg.INPUT.REA.MODE == "fastreid"
    ours, theirs = build_train_transforms(cfg).transforms, build_transforms(cfg, is_train=True).transforms
    assert [type(s) for s in ours] == [type(s) for s in theirs]
    assert ReleaseRandomErasing not in [type(s) for s in ours]


def test_unknown_rea_mode_is_a_config_error():
    cfg = _cfg()
    cfg.INPUT.REA.MODE = "zhong"
    with pytest.raises(ValueError, match=r"INPUT\.REA\.MODE.*fastreid.*release"):
        build_train_transforms(cfg)


def test_release_pipeline_on_a_real_image_erases_with_the_release_fill_after_the_cast():
    cfg = _release_cfg(ENABLED=True, PROB=1.0, STRENGTH=0.4)
    cfg.INPUT.REA.PROB = 1.0
    cfg.INPUT.FLIP.ENABLED = False
    cfg.INPUT.PADDING.ENABLED = False
    mean = torch.tensor(cfg.MODEL.PIXEL_MEAN)[:, None, None]
    std = torch.tensor(cfg.MODEL.PIXEL_STD)[:, None, None]
    grey = Image.new("RGB", (16, 32), (128, 128, 128))
    torch.manual_seed(10)
    for _ in range(20):
        normalised = (build_train_transforms(cfg)(grey) - mean) / std
        fill = torch.tensor(RELEASE_FILL)[:, None, None]
        mask = ((normalised - fill).abs() < 1e-4).all(dim=0)
        assert mask.any()
        _erased_mask(torch.zeros_like(normalised), mask[None].float())  # the filled pixels form one rectangle
        rest = normalised[:, ~mask]
        assert torch.equal(rest, rest[:, :1].expand_as(rest))           # the rest: one tinted grey
