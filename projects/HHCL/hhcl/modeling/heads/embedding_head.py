"""The embedding head of the unsupervised methods (docs/DESIGN.md, "Embedding head")."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from fastreid.config import CfgNode, configurable
from fastreid.layers import get_norm, pooling
from fastreid.modeling.heads import REID_HEADS_REGISTRY
from torch import nn


@REID_HEADS_REGISTRY.register()
class NormalizedEmbeddingHead(nn.Module):
    """Feature map → pooling (any FastReID pooling layer, ``POOL_LAYER``) →
    BatchNorm neck with frozen bias → optional linear embedding
    (``EMBEDDING_DIM`` > 0) → L2 normalisation. The same normalised output in
    training and at test time; no classifier (the memory plays that role)."""

    @configurable
    def __init__(self, *, feat_dim: int, embedding_dim: int, pool_type: str, norm_type: str):
        super().__init__()
        if not hasattr(pooling, pool_type):
            raise ValueError(f"Unknown MODEL.HEADS.POOL_LAYER {pool_type!r}; FastReID's pooling layers: "
                             f"{', '.join(pooling.__all__)}")
        self.pool_layer = getattr(pooling, pool_type)()
        # A Sequential like FastReID's EmbeddingHead, so a Baseline checkpoint's
        # BN neck (heads.bottleneck.0.*) initialises this one.
        self.bottleneck = nn.Sequential(get_norm(norm_type, feat_dim, bias_freeze=True))
        self.embedding = nn.Linear(feat_dim, embedding_dim, bias=False) if embedding_dim > 0 else None
        self.out_features = embedding_dim if embedding_dim > 0 else feat_dim

    @classmethod
    def from_config(cls, cfg: CfgNode) -> dict:
        return {"feat_dim": cfg.MODEL.BACKBONE.FEAT_DIM, "embedding_dim": cfg.MODEL.HEADS.EMBEDDING_DIM,
                "pool_type": cfg.MODEL.HEADS.POOL_LAYER, "norm_type": cfg.MODEL.HEADS.NORM}

    def forward(self, features: torch.Tensor, targets: torch.Tensor | None = None) -> torch.Tensor:
        pooled = self.bottleneck(self.pool_layer(features)).flatten(1)
        if self.embedding is not None:
            pooled = self.embedding(pooled)
        return F.normalize(pooled, dim=1)
