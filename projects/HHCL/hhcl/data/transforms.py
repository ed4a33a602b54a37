"""Train transforms: FastReID's, plus the plugin's colour-cast augmentation and
(``INPUT.REA.MODE: release``) the HHCL / Cluster Contrast releases' random
erasing in place of torchvision's."""

from __future__ import annotations

import math
from typing import NamedTuple, Optional, Sequence

import torch
from fastreid.config import CfgNode
from fastreid.data.transforms import ToTensor, build_transforms
from torchvision import transforms as T


REA_MODES = ("fastreid", "release")

# The releases' fill, written into the *normalised* tensor (the ImageNet mean
# in 0-1 units, reused as a constant in normalised units).
RELEASE_ERASING_FILL_NORMALISED = (0.485, 0.456, 0.406)


class RandomColorCast:
    """With probability ``prob``, multiply each colour channel of an image
    tensor (C×H×W, values 0–255 as FastReID's ``ToTensor`` gives them) by its
    own gain drawn from U(1 − ``strength``, 1 + ``strength``), then clip to
    0–255: a random white balance, the nuisance that changes most between
    cameras. torchvision's ``ColorJitter`` (``INPUT.CJ``) cannot do this: its
    hue shift rotates colours, it does not tint them.
    """

    def __init__(self, prob: float, strength: float):
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"INPUT.COLOR_CAST.PROB must be in [0, 1], got {prob}")
        if not 0.0 <= strength < 1.0:
            raise ValueError(f"INPUT.COLOR_CAST.STRENGTH must be in [0, 1), got {strength}")
        self.prob = prob
        self.strength = strength

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        if torch.rand(()) >= self.prob:
            return image
        gains = 1.0 + self.strength * (2.0 * torch.rand(image.shape[0], 1, 1) - 1.0)
        return (image * gains).clamp_(0.0, 255.0)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(prob={self.prob}, strength={self.strength})"


class Rectangle(NamedTuple):
    """An axis-aligned rectangle of an H×W image: rows ``top:top+height``,
    columns ``left:left+width``."""

    top: int
    left: int
    height: int
    width: int


def sample_rectangle(height: int, width: int, area_range: Sequence[float] = (0.02, 0.4),
                     min_aspect: float = 0.3, attempts: int = 100,
                     generator: Optional[torch.Generator] = None) -> Optional[Rectangle]:
    """Draw the rectangle the releases' random erasing erases from an
    ``height``×``width`` image, or ``None`` when none of ``attempts`` tries
    is accepted. Each try: target area = U(area_range)·H·W, aspect
    r = U(min_aspect, 1/min_aspect) (uniform on a linear scale),
    h = int(round(sqrt(area·r))), w = int(round(sqrt(area/r))); accepted only
    if w < W and h < H (strict), then top ~ uniform integer in [0, H − h] and
    left in [0, W − w] (both inclusive). Randomness: ``generator``, torch's
    global RNG when ``None``."""
    low, high = float(area_range[0]), float(area_range[1])
    max_aspect = 1.0 / min_aspect
    image_area = height * width
    for _ in range(attempts):
        area_draw, aspect_draw = torch.rand(2, generator=generator).tolist()
        target_area = (low + (high - low) * area_draw) * image_area
        aspect = min_aspect + (max_aspect - min_aspect) * aspect_draw
        h = int(round(math.sqrt(target_area * aspect)))
        w = int(round(math.sqrt(target_area / aspect)))
        if w < width and h < height:
            top = int(torch.randint(0, height - h + 1, (), generator=generator))
            left = int(torch.randint(0, width - w + 1, (), generator=generator))
            return Rectangle(top, left, h, w)
    return None


class ReleaseRandomErasing:
    """The random erasing of the HHCL and Cluster Contrast releases (Zhong et
    al.'s original), on FastReID's un-normalised C×H×W tensors (0–255).

    With probability ``prob`` one rectangle is erased, else the image is
    returned unchanged (``torch.rand(()) < prob`` erases). The rectangle is
    drawn by :func:`sample_rectangle`: up to ``attempts`` (100) tries of
    area U(``area_range``)·H·W (0.02–0.4), aspect r uniform in
    [``min_aspect``, 1/``min_aspect``] (0.3–3.33) on a linear scale,
    h = round(sqrt(area·r)), w = round(sqrt(area/r)), accepted when h < H and
    w < W, placed uniformly (top in [0, H−h], left in [0, W−w]). If no try is
    accepted the image is returned unchanged. The rectangle is filled with the
    constant ``fill[c]`` in channel c. The input is not modified (a copy is
    erased).

    The releases erase after ``Normalize`` with the constants
    (0.485, 0.456, 0.406) in normalised units; here the tensor is normalised
    later by the model, so :meth:`from_normalised_fill` turns those constants
    into raw units, fill_c = value_c·std_c + mean_c, with the config's
    ``MODEL.PIXEL_MEAN`` / ``MODEL.PIXEL_STD``. Randomness comes from torch's
    global RNG (seeded by FastReID's loaders).
    """

    def __init__(self, prob: float, fill: Sequence[float], area_range: Sequence[float] = (0.02, 0.4),
                 min_aspect: float = 0.3, attempts: int = 100):
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"INPUT.REA.PROB must be in [0, 1], got {prob}")
        if not 0.0 < area_range[0] <= area_range[1] <= 1.0:
            raise ValueError(f"area_range must satisfy 0 < low <= high <= 1, got {tuple(area_range)}")
        if not 0.0 < min_aspect <= 1.0:
            raise ValueError(f"min_aspect must be in (0, 1], got {min_aspect}")
        if attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {attempts}")
        self.prob = float(prob)
        self.fill = tuple(float(v) for v in fill)
        self.area_range = (float(area_range[0]), float(area_range[1]))
        self.min_aspect = float(min_aspect)
        self.attempts = int(attempts)

    @classmethod
    def from_normalised_fill(cls, prob: float, pixel_mean: Sequence[float], pixel_std: Sequence[float],
                             fill_normalised: Sequence[float] = RELEASE_ERASING_FILL_NORMALISED,
                             **kwargs) -> "ReleaseRandomErasing":
        """The transform whose erased pixels, once normalised as
        (x − mean)/std, equal ``fill_normalised``."""
        if not len(pixel_mean) == len(pixel_std) == len(fill_normalised):
            raise ValueError(f"MODEL.PIXEL_MEAN ({len(pixel_mean)}), MODEL.PIXEL_STD ({len(pixel_std)}) and the "
                             f"fill ({len(fill_normalised)}) must have one value per channel")
        fill = [v * s + m for v, m, s in zip(fill_normalised, pixel_mean, pixel_std)]
        return cls(prob, fill, **kwargs)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        if torch.rand(()) >= self.prob:
            return image
        channels, height, width = image.shape[-3:]
        if channels != len(self.fill):
            raise ValueError(f"{type(self).__name__} has {len(self.fill)} fill values, the image {channels} channels")
        rectangle = sample_rectangle(height, width, self.area_range, self.min_aspect, self.attempts)
        if rectangle is None:
            return image
        top, left, h, w = rectangle
        erased = image.clone()
        fill = torch.tensor(self.fill, dtype=image.dtype, device=image.device)
        erased[..., top:top + h, left:left + w] = fill[:, None, None]
        return erased

    def __repr__(self) -> str:
        fill = ", ".join(f"{v:.4f}" for v in self.fill)
        return (f"{type(self).__name__}(prob={self.prob}, area_range={self.area_range}, "
                f"aspect=({self.min_aspect}, {1.0 / self.min_aspect:.4f}), attempts={self.attempts}, fill=({fill}))")


def build_train_transforms(cfg: CfgNode) -> T.Compose:
    """FastReID's train transforms (``build_transforms(cfg, is_train=True)``)
    with :class:`RandomColorCast` right after ``ToTensor`` when
    ``INPUT.COLOR_CAST.ENABLED`` (before random erasing, so erased patches
    keep their fill value). With ``INPUT.REA.ENABLED`` and
    ``INPUT.REA.MODE: release``, torchvision's ``RandomErasing`` is replaced,
    at the same position, by :class:`ReleaseRandomErasing` (probability
    ``INPUT.REA.PROB``; ``INPUT.REA.VALUE`` is not used: the fill is the
    releases', converted with ``MODEL.PIXEL_MEAN`` / ``MODEL.PIXEL_STD``)."""
    mode = cfg.INPUT.REA.MODE
    if mode not in REA_MODES:
        raise ValueError(f"INPUT.REA.MODE must be one of {', '.join(REA_MODES)}; got {mode!r}")
    transforms = build_transforms(cfg, is_train=True)
    steps = list(transforms.transforms)
    changed = False
    if cfg.INPUT.REA.ENABLED and mode == "release":
        position = next(i for i, step in enumerate(steps) if isinstance(step, T.RandomErasing))
        steps[position] = ReleaseRandomErasing.from_normalised_fill(
            cfg.INPUT.REA.PROB, cfg.MODEL.PIXEL_MEAN, cfg.MODEL.PIXEL_STD)
        changed = True
    if cfg.INPUT.COLOR_CAST.ENABLED:
        position = next(i for i, step in enumerate(steps) if isinstance(step, ToTensor)) + 1
        steps.insert(position, RandomColorCast(cfg.INPUT.COLOR_CAST.PROB, cfg.INPUT.COLOR_CAST.STRENGTH))
        changed = True
    return T.Compose(steps) if changed else transforms
