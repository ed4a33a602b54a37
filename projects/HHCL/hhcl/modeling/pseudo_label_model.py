"""The base of the meta-architectures trained on pseudo labels."""

from __future__ import annotations

import numpy as np
import torch
from fastreid.modeling.meta_arch import Baseline


class PseudoLabelModel(Baseline):
    """A FastReID ``Baseline`` whose head gives the embedding itself (no
    classifier), trained on pseudo labels: the common part of HHCL, Cluster
    Contrast and HCT, which add their training loss on top of :meth:`embed`.

    Registered subclasses are trained by :class:`hhcl.engine.PseudoLabelTrainer`,
    which tells them about every new set of pseudo labels through
    :meth:`set_pseudo_labels`.
    """

    def embed(self, batched_inputs) -> torch.Tensor:
        """Images → backbone → head: the (L2-normalised) features."""
        return self.heads(self.backbone(self.preprocess_image(batched_inputs)))

    def preprocess_image(self, batched_inputs) -> torch.Tensor:
        images = batched_inputs["images"] if isinstance(batched_inputs, dict) else batched_inputs
        return (images.to(self.device) - self.pixel_mean) / self.pixel_std

    def set_pseudo_labels(self, features: torch.Tensor, labels: np.ndarray, generator: torch.Generator) -> None:
        """New pseudo labels (0..C−1, −1 = outlier) of the train images whose
        L2-normalised ``features`` they were computed from; ``generator``
        seeds any random choice. Nothing to do for a model without cluster state."""

    def has_pseudo_label_state(self) -> bool:
        """Whether the model holds the state its current pseudo labels need
        (False when a checkpoint could not restore it: the trainer relabels)."""
        return True
