"""The ``HHCL`` meta-architecture (backbone + embedding head + cluster memory)
and the embedding model it shares with HCT."""

from __future__ import annotations

import torch
from fastreid.config import CfgNode, configurable
from fastreid.modeling.backbones import build_backbone
from fastreid.modeling.heads import build_heads
from fastreid.modeling.meta_arch import META_ARCH_REGISTRY, Baseline
from torch import nn

from .memory import build_memory_from_cfg


class EmbeddingModel(Baseline):
    """A FastReID ``Baseline`` whose head gives the embedding itself (no
    classifier): the common part of the unsupervised meta-architectures,
    which add their training loss on top of :meth:`embed`."""

    def embed(self, batched_inputs) -> torch.Tensor:
        """Images → backbone → head: the (L2-normalised) features."""
        return self.heads(self.backbone(self.preprocess_image(batched_inputs)))

    def preprocess_image(self, batched_inputs) -> torch.Tensor:
        images = batched_inputs["images"] if isinstance(batched_inputs, dict) else batched_inputs
        return (images.to(self.device) - self.pixel_mean) / self.pixel_std


@META_ARCH_REGISTRY.register()
class HHCL(EmbeddingModel):
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
        features = self.embed(batched_inputs)
        if not self.training:
            return features
        return self.memory(features, batched_inputs["targets"].to(features.device))
