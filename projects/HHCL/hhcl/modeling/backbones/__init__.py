"""Backbones registered in FastReID's BACKBONE_REGISTRY."""

from .small_cnn import SmallCNN, build_small_cnn_backbone

__all__ = ["SmallCNN", "build_small_cnn_backbone"]
