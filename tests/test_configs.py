"""Every shipped config loads (no unknown key) and builds its model; the
method configs say what their method is."""

import re
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
    assert cfg.MODEL.HEADS.POOL_LAYER == "GeneralizedMeanPoolingP"
    assert cfg.PSEUDO_LABELS.METHOD == ("infomap" if config.endswith("_infomap.yml") else "dbscan")


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


# The recipe each real-dataset config claims (docs/REPRODUCING.md): the
# published mAP / Rank-1 of its header and the values that make the row.
# memory: (mode, legacy weighting); smoothing: (ε, mode); None = not checked.
RECIPES = {
    "HHCL/market.yml": dict(published=(84.2, 93.4), dataset="Market1501", memory=("hybrid", False), epochs=50,
                            iters=200, eps=0.45, pool="GlobalAvgPool", ibn=False, smoothing=(0.0, "uniform")),
    "HHCL/market_gt.yml": dict(published=(87.2, 94.6), dataset="Market1501", memory=("hybrid", False), epochs=50,
                               iters=200, eps=0.45, pool="GlobalAvgPool", ibn=False, method="ground_truth"),
    "HHCL/market_ibn_gem.yml": dict(published=(87.8, 95.1), dataset="Market1501", memory=("hybrid", False),
                                    epochs=50, iters=200, eps=0.45, pool="GeneralizedMeanPoolingP", ibn=True,
                                    smoothing=(0.0, "uniform")),
    "HHCL/market_ibn_gem_ls.yml": dict(published=(88.2, 94.9), dataset="Market1501", memory=("hybrid", False),
                                       epochs=50, iters=200, eps=0.45, pool="GeneralizedMeanPoolingP", ibn=True,
                                       smoothing=(0.1, "release")),
    "HHCL/duke.yml": dict(published=(73.3, 85.1), dataset="DukeMTMC", memory=("hybrid", False), epochs=50, iters=200,
                          eps=0.6, pool="GlobalAvgPool", ibn=False, smoothing=(0.0, "uniform")),
    "HHCL/duke_gt.yml": dict(published=(80.0, 89.8), dataset="DukeMTMC", memory=("hybrid", False), epochs=50,
                             iters=200, eps=0.6, pool="GlobalAvgPool", ibn=False, method="ground_truth"),
    "HHCL/duke_ibn_gem.yml": dict(published=(76.8, 87.9), dataset="DukeMTMC", memory=("hybrid", False), epochs=50,
                                  iters=200, eps=0.6, pool="GeneralizedMeanPoolingP", ibn=True,
                                  smoothing=(0.0, "uniform")),
    "HHCL/duke_ibn_gem_ls.yml": dict(published=(77.3, 87.7), dataset="DukeMTMC", memory=("hybrid", False), epochs=50,
                                     iters=200, eps=0.6, pool="GeneralizedMeanPoolingP", ibn=True,
                                     smoothing=(0.1, "release")),
    "HHCL/market_release.yml": dict(published=(84.2, 93.4), dataset="Market1501", memory=("hard_mean", True),
                                    epochs=60, iters=200, eps=0.45, pool="GlobalAvgPool", ibn=False,
                                    smoothing=(0.0, "uniform")),
    "HHCL/duke_release.yml": dict(published=(73.3, 85.1), dataset="DukeMTMC", memory=("hard_mean", True), epochs=60,
                                  iters=200, eps=0.6, pool="GlobalAvgPool", ibn=False, smoothing=(0.0, "uniform")),
    "HHCL/msmt17_release.yml": dict(published=(31.8, 58.9), dataset="MSMT17TrainVal", memory=("hard_mean", True),
                                    epochs=60, iters=300, eps=0.7, pool="GlobalAvgPool", ibn=False),
    "HHCL/msmt17.yml": dict(published=None, dataset="MSMT17TrainVal", memory=("hybrid", False), epochs=50, iters=300,
                            eps=0.7, pool="GlobalAvgPool", ibn=False),
    "ClusterContrast/market.yml": dict(published=(82.1, 92.3), dataset="Market1501", memory=("mean", False),
                                       epochs=50, iters=200, eps=0.6, pool="GeneralizedMeanPoolingP", ibn=False),
    "ClusterContrast/duke.yml": dict(published=(72.6, 84.9), dataset="DukeMTMC", memory=("mean", False), epochs=50,
                                     iters=200, eps=0.6, pool="GeneralizedMeanPoolingP", ibn=False),
    "ClusterContrast/msmt17.yml": dict(published=(27.6, 56.0), dataset="MSMT17TrainVal", memory=("mean", False),
                                       epochs=50, iters=400, eps=0.6, pool="GeneralizedMeanPoolingP", ibn=False),
    "ClusterContrast/veri.yml": dict(published=(40.3, 84.6), dataset="VeRi", memory=("mean", False), epochs=50,
                                     iters=400, eps=0.6, pool="GeneralizedMeanPoolingP", ibn=False, size=(224, 224)),
    # cluster_contrast_train_usl_infomap.py: --eps 0.5 (least cosine similarity) --k1 15 --k2 4 (outlier size).
    "ClusterContrast/market_infomap.yml": dict(published=(83.0, 92.9), dataset="Market1501", memory=("mean", False),
                                               epochs=50, iters=200, eps=0.5, k1=15, k2=4, method="infomap",
                                               pool="GeneralizedMeanPoolingP", ibn=False),
    "ClusterContrast/duke_infomap.yml": dict(published=(73.6, 85.5), dataset="DukeMTMC", memory=("mean", False),
                                             epochs=50, iters=200, eps=0.5, k1=15, k2=4, method="infomap",
                                             pool="GeneralizedMeanPoolingP", ibn=False),
    "ClusterContrast/msmt17_infomap.yml": dict(published=(31.2, 61.5), dataset="MSMT17TrainVal",
                                               memory=("mean", False), epochs=50, iters=400, eps=0.5, k1=15, k2=4,
                                               method="infomap", pool="GeneralizedMeanPoolingP", ibn=False),
    "ClusterContrast/veri_infomap.yml": dict(published=(40.8, 86.2), dataset="VeRi", memory=("mean", False),
                                             epochs=50, iters=400, eps=0.5, k1=15, k2=4, method="infomap",
                                             pool="GeneralizedMeanPoolingP", ibn=False, size=(224, 224)),
}
#: Method configs without a published row, so without a recipe above: the synthetic ones and your own folder.
WITHOUT_RECIPE = ("configs/HHCL/synth.yml", "configs/ClusterContrast/synth.yml", "configs/HHCL/folder.yml")
#: What a config's command adds after ``--config-file CONFIG`` (the folder to train on).
COMMAND_ARGUMENTS = {"configs/HHCL/folder.yml": " DATASETS.FOLDER.ROOT /path/to/crops"}
HEADER = re.compile(r"\A# Row: .+\n(?:# .+\n)*?# Published: (?P<published>.+)\n# Command: (?P<command>.+)\n")


def release_clustering(cfg) -> tuple:
    """The release's --eps, --k1, --k2 as the config holds them: DBSCAN's ε
    and the Jaccard k1, k2, or InfoMap's least similarity, k1 and outlier size."""
    node = cfg.PSEUDO_LABELS
    if node.METHOD == "infomap":
        return node.MIN_SIMILARITY, node.K1, node.MAX_OUTLIER_SIZE
    return node.EPS, node.K1, node.K2


def header(config: str) -> re.Match:
    match = HEADER.match((REPO / config).read_text())
    assert match, f"{config} lacks its header (# Row / # Published / # Command)"
    return match


@pytest.mark.parametrize("config", [c for c in CONFIGS if not Path(c).name.startswith("Base-")])
def test_every_runnable_config_has_its_header(config):
    match = header(config)
    assert match["command"] == f"python tools/train_net.py --config-file {config}" + COMMAND_ARGUMENTS.get(config, "")


def test_every_real_dataset_method_config_has_a_recipe():
    method_configs = {c.removeprefix("configs/") for c in CONFIGS if c.startswith(("configs/HHCL/", "configs/Cluster"))
                      and c not in WITHOUT_RECIPE}
    assert method_configs == set(RECIPES)


@pytest.mark.parametrize("config", sorted(RECIPES))
def test_config_carries_the_recipe_its_header_claims(config):
    recipe = RECIPES[config]
    published = header(f"configs/{config}")["published"]
    if recipe["published"] is None:
        assert published.startswith("none")
    else:
        assert published.startswith(f"mAP {recipe['published'][0]}, Rank-1 {recipe['published'][1]} (")
    cfg = load(f"configs/{config}")
    assert tuple(cfg.DATASETS.NAMES) == tuple(cfg.DATASETS.TESTS) == (recipe["dataset"],)
    assert (cfg.MODEL.MEMORY.MODE, cfg.MODEL.MEMORY.LEGACY_WEIGHTING) == recipe["memory"]
    assert (cfg.SOLVER.MAX_EPOCH, cfg.SOLVER.ITERS_PER_EPOCH) == (recipe["epochs"], recipe["iters"])
    assert release_clustering(cfg) == (recipe["eps"], recipe.get("k1", 30), recipe.get("k2", 6))
    assert (cfg.MODEL.HEADS.POOL_LAYER, cfg.MODEL.BACKBONE.WITH_IBN) == (recipe["pool"], recipe["ibn"])
    assert cfg.PSEUDO_LABELS.METHOD == recipe.get("method", "dbscan")
    if "smoothing" in recipe:
        assert (cfg.MODEL.MEMORY.LABEL_SMOOTH, cfg.MODEL.MEMORY.LABEL_SMOOTH_MODE) == recipe["smoothing"]
    assert tuple(cfg.INPUT.SIZE_TRAIN) == tuple(cfg.INPUT.SIZE_TEST) == recipe.get("size", (256, 128))
    # What every release run shares: 4 GPUs x 64 images, its sampler and erasing, evaluation every 10 epochs.
    assert (cfg.SOLVER.IMS_PER_BATCH, cfg.DATALOADER.NUM_INSTANCE, cfg.MODEL.BN_CHUNK_SIZE) == (256, 16, 64)
    assert cfg.DATALOADER.SAMPLER_TRAIN == "RandomMultipleGallerySampler"
    assert cfg.INPUT.REA.ENABLED and cfg.INPUT.REA.MODE == "release" and cfg.INPUT.REA.PROB == 0.5
    assert list(cfg.SOLVER.STEPS) == [20, 40] and cfg.SOLVER.WARMUP_ITERS == 0 and cfg.TEST.EVAL_PERIOD == 10
    assert (cfg.MODEL.MEMORY.TEMP, cfg.MODEL.MEMORY.MOMENTUM, cfg.PSEUDO_LABELS.MIN_SAMPLES) == (0.05, 0.1, 4)


def test_the_mu_sweep_of_table_2_is_documented_in_market_yml():
    text = (REPO / "configs/HHCL/market.yml").read_text()
    for mu, published in (("0.0", "78.5, Rank-1 90.5"), ("0.25", "82.7, Rank-1 92.9"), ("0.75", "81.7, Rank-1 92.1"),
                          ("1.0", "80.8, Rank-1 91.3")):
        assert re.search(rf"MODEL\.MEMORY\.MU {mu}\s+-> mAP {published}", text), mu
