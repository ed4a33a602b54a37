"""FastReID backbones by registry name under the HHCL model: each builds,
trains one step with FastReID's optimiser and gives unit test features."""

import numpy as np
import pytest
import torch
from fastreid.config import get_cfg

from hhcl import add_hhcl_config
from hhcl.engine import PseudoLabelTrainer
from hhcl.evaluation.rank import evaluate_rank

from ..helpers import REPO

BACKBONES = [  # (registry name, depth, feature dim, IBN, pooling)
    ("build_resnet_backbone", "18x", 512, False, "GlobalAvgPool"),
    ("build_resnet_backbone", "50x", 2048, False, "GeneralizedMeanPoolingP"),
    ("build_resnet_backbone", "50x", 2048, True, "GlobalAvgPool"),
    ("build_resnest_backbone", "50x", 2048, False, "GeneralizedMeanPoolingP"),
    ("build_osnet_backbone", "x1_0", 512, False, "GlobalAvgPool"),
    ("build_small_cnn_backbone", "50x", 256, False, "GeneralizedMeanPoolingP"),
]


@pytest.mark.parametrize("name, depth, dim, ibn, pool", BACKBONES,
                         ids=[f"{b[0].split('_')[1]}-{b[1]}{'-ibn' if b[3] else ''}-{b[4]}" for b in BACKBONES])
def test_backbone_trains_one_step_and_evaluates(name, depth, dim, ibn, pool):
    torch.manual_seed(0)
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_file(str(REPO / "configs/HHCL/synth.yml"))
    cfg.merge_from_list(["MODEL.BACKBONE.NAME", name, "MODEL.BACKBONE.DEPTH", depth, "MODEL.BACKBONE.FEAT_DIM",
                         str(dim), "MODEL.BACKBONE.WITH_IBN", str(ibn), "MODEL.HEADS.POOL_LAYER", pool])
    model = PseudoLabelTrainer.build_model(cfg)
    optimizer, _ = PseudoLabelTrainer.build_optimizer(cfg, model)
    images, labels = torch.rand(8, 3, 64, 32) * 255, torch.arange(8) % 4

    model.eval()
    with torch.no_grad():
        features = model({"images": images})
    assert features.shape == (8, dim)
    torch.testing.assert_close(features.norm(dim=1), torch.ones(8))
    model.memory.reset(features, labels)
    before = [p.detach().clone() for p in model.backbone.parameters()]

    model.train()
    losses = model({"images": images, "targets": labels})
    optimizer.zero_grad()
    sum(losses.values()).backward()
    optimizer.step()
    assert all(torch.isfinite(v) for v in losses.values())
    assert any(not torch.equal(b, p) for b, p in zip(before, model.backbone.parameters()))

    model.eval()
    with torch.no_grad():
        features = model({"images": images}).numpy()
    distances = 2 - 2 * features[:4] @ features[4:].T
    cmc, ap, _ = evaluate_rank(distances, labels[:4].numpy(), labels[4:].numpy(), np.zeros(4), np.ones(4))
    assert 0 < np.mean(ap) <= 1 and cmc[-1] == 1
