"""A small CNN for CPU-sized experiments (the synthetic demo)."""

from __future__ import annotations

from fastreid.config import CfgNode
from fastreid.layers import get_norm
from fastreid.modeling.backbones import BACKBONE_REGISTRY
from torch import nn


class SmallCNN(nn.Module):
    """A stride-2 3×3 stem, then four stages of 3×3 conv-norm-ReLU layers
    (one in the first stage, two in the others; widths ``widths``), 2×2
    max-pooling after each stage but the last: a 128×64 image becomes an
    8×4 map of ``widths[-1]`` channels. About 1.2 M parameters and a quarter
    of ResNet-18's multiply-adds with the default widths — for CPU runs."""

    def __init__(self, widths: tuple[int, ...] = (32, 64, 128, 256), norm: str = "BN"):
        super().__init__()

        def conv(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), get_norm(norm, cout),
                    nn.ReLU(inplace=True)]

        layers, channels = conv(3, widths[0], stride=2), widths[0]
        for stage, width in enumerate(widths):
            for _ in range(1 if stage == 0 else 2):
                layers += conv(channels, width)
                channels = width
            if stage < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
        self.body = nn.Sequential(*layers)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, images):
        return self.body(images)


@BACKBONE_REGISTRY.register()
def build_small_cnn_backbone(cfg: CfgNode) -> SmallCNN:
    """``MODEL.BACKBONE.NAME build_small_cnn_backbone``; ``MODEL.BACKBONE.FEAT_DIM``
    sets the last stage's width (256 by default: widths 32, 64, 128, 256)."""
    feat_dim = cfg.MODEL.BACKBONE.FEAT_DIM
    return SmallCNN(widths=(feat_dim // 8, feat_dim // 4, feat_dim // 2, feat_dim), norm=cfg.MODEL.BACKBONE.NORM)
