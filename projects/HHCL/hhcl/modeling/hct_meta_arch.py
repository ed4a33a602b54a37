"""The ``HCT`` meta-architecture: backbone + embedding head + batch-hard triplet loss."""

from __future__ import annotations

from fastreid.modeling.losses import triplet_loss
from fastreid.modeling.meta_arch import META_ARCH_REGISTRY

from .pseudo_label_model import PseudoLabelModel


@META_ARCH_REGISTRY.register()
class HCT(PseudoLabelModel):
    """HCT (Zeng et al., CVPR 2020): any FastReID backbone and head
    (``NormalizedEmbeddingHead`` in the configs) trained with FastReID's own
    batch-hard triplet loss (``MODEL.LOSSES.TRI``: margin 0.5 in the HCT
    configs) on the pseudo labels of hierarchical clustering
    (``PSEUDO_LABELS.METHOD agglomerative``), with PK sampling.

    Training returns ``{"loss_triplet": ...}``; test returns the features.
    No cluster state: new pseudo labels only change the train loader.
    """

    def forward(self, batched_inputs):
        features = self.embed(batched_inputs)
        if not self.training:
            return features
        targets = batched_inputs["targets"].to(features.device)
        options = self.loss_kwargs["tri"]
        loss = triplet_loss(features, targets, options["margin"], options["norm_feat"], options["hard_mining"])
        return {"loss_triplet": loss * options["scale"]}
