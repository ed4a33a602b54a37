"""The ``HHCL`` meta-architecture: backbone + embedding head + cluster memory."""

from __future__ import annotations

import torch
from fastreid.config import CfgNode, configurable
from fastreid.modeling.backbones import build_backbone
from fastreid.modeling.heads import build_heads
from fastreid.modeling.meta_arch import META_ARCH_REGISTRY, Baseline
from torch import nn

from .memory import build_memory_from_cfg


@META_ARCH_REGISTRY.register()
class HHCL(Baseline):
    """Any FastReID backbone (``MODEL.BACKBONE.NAME``) and head
    (``HHCLEmbeddingHead`` by default) with a cluster memory
    (``HHCL.MEMORY.*``) as sub-module, so checkpoints hold it.

    Training: images → L2-normalised features → the memory's named losses
    against the batch's pseudo labels (``targets``). Test: the features.
    The memory is re-initialised each epoch by the pseudo-label hook.
    """

    @configurable
    def __init__(self, *, backbone: nn.Module, heads: nn.Module, memory: nn.Module, pixel_mean, pixel_std):
        super().__init__(backbone=backbone, heads=heads, pixel_mean=pixel_mean, pixel_std=pixel_std)
        self.memory = memory

    @classmethod
    def from_config(cls, cfg: CfgNode) -> dict:
        heads = build_heads(cfg)
        return {"backbone": build_backbone(cfg), "heads": heads,
                "memory": build_memory_from_cfg(cfg, heads.out_features, num_clusters=1),
                "pixel_mean": cfg.MODEL.PIXEL_MEAN, "pixel_std": cfg.MODEL.PIXEL_STD}

    def forward(self, batched_inputs):
        features = self.heads(self.backbone(self.preprocess_image(batched_inputs)))
        if not self.training:
            return features
        return self.memory(features, batched_inputs["targets"].to(features.device))

    def preprocess_image(self, batched_inputs) -> torch.Tensor:
        images = batched_inputs["images"] if isinstance(batched_inputs, dict) else batched_inputs
        return (images.to(self.device) - self.pixel_mean) / self.pixel_std
