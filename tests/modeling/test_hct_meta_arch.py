"""The HCT meta-architecture: FastReID's batch-hard triplet loss on the head's features."""

import torch
from fastreid.config import get_cfg
from fastreid.modeling import build_model

from hhcl import add_hhcl_config

from ..helpers import REPO


def brute_force_batch_hard_triplet(features: torch.Tensor, labels: torch.Tensor, margin: float) -> torch.Tensor:
    """mean over anchors of max(0, max_p d(a, p) − min_n d(a, n) + margin), Euclidean d."""
    losses = []
    for a in range(len(features)):
        distances = [(features[a] - features[b]).norm() for b in range(len(features))]
        positive = max(d for b, d in enumerate(distances) if labels[b] == labels[a])
        negative = min(d for b, d in enumerate(distances) if labels[b] != labels[a])
        losses.append(torch.clamp(positive - negative + margin, min=0))
    return torch.stack(losses).mean()


def test_hct_trains_with_the_batch_hard_triplet_loss_and_tests_with_unit_features():
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_file(str(REPO / "configs/HCT/synth.yml"))
    model = build_model(cfg)
    assert not hasattr(model, "memory")
    images = torch.rand(8, 3, 64, 32) * 255
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    model.train()
    losses = model({"images": images.clone(), "targets": labels})
    assert set(losses) == {"loss_triplet"}
    model.eval()
    with torch.no_grad():
        features = model({"images": images.clone()})
    torch.testing.assert_close(features.norm(dim=1), torch.ones(8))
    model.train()
    with torch.no_grad():
        train_features = model.embed({"images": images.clone()})
    expected = brute_force_batch_hard_triplet(train_features, labels, margin=0.5)
    torch.testing.assert_close(losses["loss_triplet"].detach(), expected, rtol=1e-4, atol=1e-5)
