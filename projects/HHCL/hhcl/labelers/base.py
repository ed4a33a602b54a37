"""What a labeler is, and ``LABELER_REGISTRY`` (``PSEUDO_LABELS.METHOD``)."""

from __future__ import annotations

import abc
from typing import Sequence

import numpy as np
import torch
from fastreid.config import CfgNode

from ..registry import Registry

LABELER_REGISTRY = Registry("LABELER", config_key="PSEUDO_LABELS.METHOD")
LABELER_REGISTRY.__doc__ = """Labelers (:class:`Labeler` subclasses with ``from_config(cfg, train_items)``),
registered under the ``PSEUDO_LABELS.METHOD`` value that selects them."""


class Labeler(abc.ABC):
    """Turns the features of the train images into pseudo labels: one per
    image, clusters numbered 0..C−1, −1 for an outlier (left out of the
    epoch's training)."""

    @classmethod
    @abc.abstractmethod
    def from_config(cls, cfg: CfgNode, train_items: Sequence[tuple]) -> "Labeler":
        """The labeler that ``cfg.PSEUDO_LABELS`` describes, for ``train_items``
        ((path, identity, camera) tuples, in feature order)."""

    @abc.abstractmethod
    def __call__(self, features: torch.Tensor, previous: np.ndarray | None) -> np.ndarray:
        """Labels of the L2-normalised N×d ``features``; ``previous`` holds the
        last labels (None before the first update)."""

    @abc.abstractmethod
    def advice(self, num_clusters: int) -> str:
        """What to change when a labeling found only ``num_clusters`` (0 or 1)
        clusters, naming the config keys."""


def build_labeler(cfg: CfgNode, train_items: Sequence[tuple]) -> Labeler:
    """The labeler registered as ``cfg.PSEUDO_LABELS.METHOD``."""
    return LABELER_REGISTRY.get(cfg.PSEUDO_LABELS.METHOD).from_config(cfg, train_items)
