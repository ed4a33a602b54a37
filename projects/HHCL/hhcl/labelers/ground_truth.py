"""``ground_truth``: the true identities (the supervised upper bound, "w/ GT")."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from fastreid.config import CfgNode

from ..data import identities_known
from .base import LABELER_REGISTRY, Labeler


def identity_labels(train_items: Sequence[tuple]) -> np.ndarray:
    """The items' identities numbered 0..C−1 (by sorted identity name).
    Items without a known identity (:class:`~hhcl.data.UnknownIdentity`)
    raise ``ValueError``: there is nothing true to number."""
    if not identities_known(train_items):
        raise ValueError("The train images have no true identities (e.g. FolderDataset with "
                         "DATASETS.FOLDER.TRAIN_ID_FROM none): give them identities, or use a clustering "
                         "PSEUDO_LABELS.METHOD such as dbscan.")
    _, labels = np.unique(np.array([str(item[1]) for item in train_items]), return_inverse=True)
    return labels.astype(np.int64)


@LABELER_REGISTRY.register(name="ground_truth")
class GroundTruthLabeler(Labeler):
    """The train items' true identities, whatever the features."""

    def __init__(self, labels: np.ndarray):
        self.labels = labels

    @classmethod
    def from_config(cls, cfg: CfgNode, train_items: Sequence[tuple]) -> "GroundTruthLabeler":
        return cls(identity_labels(train_items))

    def __call__(self, features: torch.Tensor, previous: np.ndarray | None) -> np.ndarray:
        return self.labels.copy()

    def advice(self, num_clusters: int) -> str:
        return "The train set has a single identity: unsupervised or supervised, re-ID needs at least two."
