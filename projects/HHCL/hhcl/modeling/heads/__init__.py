"""Heads registered in FastReID's REID_HEADS_REGISTRY."""

from .embedding_head import NormalizedEmbeddingHead

__all__ = ["NormalizedEmbeddingHead"]
