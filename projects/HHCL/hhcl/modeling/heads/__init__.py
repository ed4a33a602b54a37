"""Heads registered in FastReID's REID_HEADS_REGISTRY."""

from .embedding_head import HHCLEmbeddingHead

__all__ = ["HHCLEmbeddingHead"]
