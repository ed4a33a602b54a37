"""Train transforms: FastReID's, plus the plugin's colour-cast augmentation."""

from __future__ import annotations

import torch
from fastreid.config import CfgNode
from fastreid.data.transforms import ToTensor, build_transforms
from torchvision import transforms as T


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


def build_train_transforms(cfg: CfgNode) -> T.Compose:
    """FastReID's train transforms (``build_transforms(cfg, is_train=True)``)
    with :class:`RandomColorCast` right after ``ToTensor`` when
    ``INPUT.COLOR_CAST.ENABLED`` (before random erasing, so erased patches
    keep their fill value)."""
    transforms = build_transforms(cfg, is_train=True)
    if cfg.INPUT.COLOR_CAST.ENABLED:
        steps = list(transforms.transforms)
        position = next(i for i, step in enumerate(steps) if isinstance(step, ToTensor)) + 1
        steps.insert(position, RandomColorCast(cfg.INPUT.COLOR_CAST.PROB, cfg.INPUT.COLOR_CAST.STRENGTH))
        transforms = T.Compose(steps)
    return transforms
