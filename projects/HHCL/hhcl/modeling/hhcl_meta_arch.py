"""The ``HHCL`` meta-architecture: backbone + embedding head + cluster memory
(HHCL and Cluster Contrast)."""

from __future__ import annotations

import numpy as np
import torch
from fastreid.config import CfgNode, configurable
from fastreid.modeling.backbones import build_backbone
from fastreid.modeling.heads import build_heads
from fastreid.modeling.meta_arch import META_ARCH_REGISTRY
from torch import nn

from .memory import build_memory_from_cfg
from .pseudo_label_model import PseudoLabelModel


@META_ARCH_REGISTRY.register()
class HHCL(PseudoLabelModel):
    """Any FastReID backbone (``MODEL.BACKBONE.NAME``) and head
    (``NormalizedEmbeddingHead`` by default) with a cluster memory
    (``MODEL.MEMORY.*``) as sub-module, so checkpoints hold it.

    Training: images → L2-normalised features → the memory's named losses
    against the batch's pseudo labels (``targets``). Test: the features.
    The memory is rebuilt from every new set of pseudo labels
    (:meth:`set_pseudo_labels`).
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

    def set_pseudo_labels(self, features: torch.Tensor, labels: np.ndarray, generator: torch.Generator) -> None:
        """Rebuild the memory from the clustered features (its size becomes
        the number of clusters)."""
        self.memory.reset(features.to(self.device), torch.as_tensor(labels), generator=generator)

    def has_pseudo_label_state(self) -> bool:
        return bool(self.memory.initialized)
