"""Every shipped config loads (no unknown key) and builds its model; the
method configs say what their method is."""

from pathlib import Path

import pytest
from fastreid.config import get_cfg
from fastreid.modeling import build_model

from hhcl import add_hhcl_config
from hhcl.engine import BaselineTrainer, PseudoLabelTrainer, trainer_class

from .helpers import REPO

CONFIGS = sorted(str(p.relative_to(REPO)) for p in (REPO / "configs").rglob("*.yml"))


def load(config: str):
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_file(str(REPO / config))
    return cfg


@pytest.mark.parametrize("config", CONFIGS)
def test_config_loads_and_builds_its_model(config):
    cfg = load(config)
    cfg.MODEL.BACKBONE.PRETRAIN = False   # no ImageNet download here
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.HEADS.NUM_CLASSES = 10      # set from the data by FastReID's trainer
    model = build_model(cfg)
    expected = PseudoLabelTrainer if cfg.MODEL.META_ARCHITECTURE in ("HHCL", "HCT") else BaselineTrainer
    assert trainer_class(cfg) is expected
    assert sum(p.numel() for p in model.parameters()) > 0


@pytest.mark.parametrize("config", [c for c in CONFIGS if c.startswith("configs/ClusterContrast/")])
def test_cluster_contrast_configs(config):
    cfg = load(config)
    assert cfg.MODEL.META_ARCHITECTURE == "HHCL" and cfg.MODEL.MEMORY.MODE == "mean"
    assert cfg.MODEL.HEADS.POOL_LAYER == "GeneralizedMeanPoolingP" and cfg.PSEUDO_LABELS.METHOD == "dbscan"


@pytest.mark.parametrize("config", [c for c in CONFIGS if c.startswith("configs/HCT/")])
def test_hct_configs(config):
    cfg = load(config)
    assert cfg.MODEL.META_ARCHITECTURE == "HCT" and cfg.PSEUDO_LABELS.METHOD == "agglomerative"
    assert cfg.MODEL.LOSSES.TRI.MARGIN == 0.5 and cfg.MODEL.LOSSES.TRI.HARD_MINING
    assert cfg.PSEUDO_LABELS.MERGE_PERCENT == 0.07 and cfg.PSEUDO_LABELS.SIZE_PENALTY == 0.003
    stages = cfg.SOLVER.MAX_EPOCH // cfg.PSEUDO_LABELS.EVERY_N_EPOCHS
    assert stages == 13 and cfg.SOLVER.MAX_EPOCH % cfg.PSEUDO_LABELS.EVERY_N_EPOCHS == 0


def test_paper_settings_of_base_hhcl():
    cfg = load("configs/Base-HHCL.yml")
    assert (cfg.MODEL.BACKBONE.DEPTH, cfg.MODEL.BACKBONE.LAST_STRIDE, cfg.MODEL.BACKBONE.PRETRAIN) == ("50x", 1, True)
    assert list(cfg.INPUT.SIZE_TRAIN) == [256, 128] and cfg.INPUT.REA.ENABLED and cfg.INPUT.FLIP.ENABLED
    assert (cfg.SOLVER.OPT, cfg.SOLVER.BASE_LR, cfg.SOLVER.WEIGHT_DECAY) == ("Adam", 0.00035, 0.0005)
    assert (cfg.SOLVER.MAX_EPOCH, cfg.SOLVER.ITERS_PER_EPOCH, cfg.SOLVER.IMS_PER_BATCH) == (50, 200, 256)
    assert list(cfg.SOLVER.STEPS) == [20, 40] and cfg.SOLVER.GAMMA == 0.1
    assert (cfg.PSEUDO_LABELS.K1, cfg.PSEUDO_LABELS.K2) == (30, 6)
    assert (cfg.MODEL.MEMORY.TEMP, cfg.MODEL.MEMORY.MOMENTUM, cfg.MODEL.MEMORY.MU) == (0.05, 0.1, 0.5)
    assert {Path(c).name: load(c).PSEUDO_LABELS.EPS for c in CONFIGS if c.startswith("configs/HHCL/")
            and Path(c).stem in ("market", "duke", "msmt17")} == {"market.yml": 0.45, "duke.yml": 0.6,
                                                                   "msmt17.yml": 0.7}
