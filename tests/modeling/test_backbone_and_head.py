"""The small CNN backbone and the embedding head, built through FastReID's registries."""

import pytest
import torch
from fastreid.config import get_cfg
from fastreid.modeling import build_model
from fastreid.modeling.backbones import BACKBONE_REGISTRY
from fastreid.modeling.heads import REID_HEADS_REGISTRY
from fastreid.modeling.meta_arch import META_ARCH_REGISTRY
from fastreid.utils.checkpoint import Checkpointer

from hhcl import add_hhcl_config

from ..helpers import REPO


def hhcl_cfg(*options):
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_file(str(REPO / "configs/HHCL/synth.yml"))
    cfg.merge_from_list(list(options))
    return cfg


def test_registered():
    assert BACKBONE_REGISTRY.get("build_small_cnn_backbone")
    assert REID_HEADS_REGISTRY.get("NormalizedEmbeddingHead")
    assert META_ARCH_REGISTRY.get("HHCL")


@pytest.mark.parametrize("backbone, depth, dim", [("build_small_cnn_backbone", "50x", 256),
                                                  ("build_resnet_backbone", "18x", 512)])
@pytest.mark.parametrize("pool", ["GlobalAvgPool", "GeneralizedMeanPoolingP"])
def test_model_gives_unit_features_and_memory_losses(backbone, depth, dim, pool):
    cfg = hhcl_cfg("MODEL.BACKBONE.NAME", backbone, "MODEL.BACKBONE.DEPTH", depth, "MODEL.BACKBONE.FEAT_DIM", str(dim),
                   "MODEL.HEADS.POOL_LAYER", pool)
    model = build_model(cfg)
    model.eval()
    images = torch.rand(8, 3, 128, 64) * 255
    features = model({"images": images.clone()})
    assert features.shape == (8, dim)
    torch.testing.assert_close(features.norm(dim=1), torch.ones(8))
    assert model.heads.bottleneck[0].bias.requires_grad is False     # BN neck with frozen bias
    model.memory.reset(features.detach(), torch.arange(8) % 4)
    model.train()
    losses = model({"images": images, "targets": torch.arange(8) % 4})
    assert set(losses) == {"loss_cluster", "loss_instance"}
    sum(losses.values()).backward()
    grads = [p.grad for p in model.backbone.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


def test_optional_linear_embedding_and_bad_pooling():
    model = build_model(hhcl_cfg("MODEL.HEADS.EMBEDDING_DIM", "64"))
    model.eval()
    assert model({"images": torch.rand(2, 3, 128, 64) * 255}).shape == (2, 64)
    assert model.memory.num_features == 64
    with pytest.raises(ValueError, match="Unknown MODEL.HEADS.POOL_LAYER 'AvgPool'"):
        build_model(hhcl_cfg("MODEL.HEADS.POOL_LAYER", "AvgPool"))


def test_a_stock_baseline_checkpoint_initialises_backbone_and_neck(tmp_path):
    """HHCL from the source-trained baseline: every backbone and BN-neck
    tensor of a FastReID ``Baseline`` (bagtricks head) loads; only the
    memory (rebuilt by the pseudo-label hook) is missing."""
    baseline_cfg = get_cfg()
    add_hhcl_config(baseline_cfg)
    baseline_cfg.merge_from_file(str(REPO / "configs/Baselines/synth_bagtricks_SmallCNN.yml"))
    baseline_cfg.MODEL.HEADS.NUM_CLASSES = 10
    baseline = build_model(baseline_cfg)
    with torch.no_grad():
        for tensor in baseline.state_dict().values():
            if tensor.is_floating_point():
                tensor.uniform_(0.5, 1.5)
    Checkpointer(baseline, save_dir=str(tmp_path)).save("baseline")
    model = build_model(hhcl_cfg())
    Checkpointer(model).load(str(tmp_path / "baseline.pth"))
    expected = baseline.state_dict()
    for key, value in model.state_dict().items():
        if not key.startswith("memory."):
            assert torch.equal(value, expected[key]), key
    images = torch.rand(4, 3, 64, 32) * 255
    model.eval(), baseline.eval()
    torch.testing.assert_close(model({"images": images}),
                               torch.nn.functional.normalize(baseline({"images": images}), dim=1))
