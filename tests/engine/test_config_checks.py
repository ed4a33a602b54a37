"""``check_config``: each rule refuses a value just outside its range and
accepts one just inside; every problem is reported at once; every shipped
config passes."""

from __future__ import annotations

import argparse
import shlex

import numpy as np
import pytest
from fastreid.config import get_cfg

from hhcl import add_hhcl_config
from hhcl.engine import ConfigValueError, check_config
from hhcl.data import SyntheticSpec
from hhcl.engine import setup_cfg
from hhcl.labelers import LABELER_REGISTRY

from ..helpers import REPO, SYNTH_CONFIG

SYNTH_MAX_EPOCH = 40  # configs/HHCL/synth.yml
FOLDER = ("DATASETS.NAMES", ("FolderDataset",), "DATASETS.TESTS", ("FolderDataset",), "DATASETS.FOLDER.ROOT", "/crops")
BASELINE = ("MODEL.META_ARCHITECTURE", "Baseline", "DATALOADER.SAMPLER_TRAIN", "NaiveIdentitySampler")
BASELINE_ANY_BATCH = ("MODEL.META_ARCHITECTURE", "Baseline", "DATALOADER.SAMPLER_TRAIN", "TrainingSampler")

#: (key, a value just outside its range, one just inside, other overrides the rule needs),
#: on configs/HHCL/synth.yml (HHCL, batch 64 = 16 × NUM_INSTANCE 4, flip/pad/CJ/colour cast on).
RULES = [
    ("MODEL.DEVICE", "gpu", "cuda:1", ()),
    ("MODEL.META_ARCHITECTURE", "HHCLX", "HCT", ()),
    ("MODEL.BACKBONE.NAME", "build_resnet", "build_resnet_backbone", ()),
    ("MODEL.HEADS.NAME", "Embedding", "EmbeddingHead", ()),
    ("MODEL.HEADS.POOL_LAYER", "GlobalAvgPooling", "GeneralizedMeanPoolingP", ()),
    ("MODEL.BN_CHUNK_SIZE", 1, 2, ()),
    ("MODEL.BN_CHUNK_SIZE", -1, 0, ()),
    ("MODEL.BN_CHUNK_SIZE", 63, 62, ()),   # 64 = 63 + 1: a last chunk of one image
    ("MODEL.MEMORY.MODE", "hybrid_x", "hard_mean", ()),
    ("MODEL.MEMORY.TEMP", 0.0, 1e-6, ()),
    ("MODEL.MEMORY.MOMENTUM", 1.001, 1.0, ()),
    ("MODEL.MEMORY.MOMENTUM", -0.001, 0.0, ()),
    ("MODEL.MEMORY.MU", 1.001, 1.0, ()),
    ("MODEL.MEMORY.MU", -0.001, 0.0, ()),
    ("MODEL.MEMORY.NUM_INSTANCES", 0, 1, ()),
    ("MODEL.MEMORY.LABEL_SMOOTH", 1.0, 0.999, ()),
    ("MODEL.MEMORY.LABEL_SMOOTH", -0.001, 0.0, ()),
    ("MODEL.MEMORY.LABEL_SMOOTH_MODE", "top_k", "release", ()),
    ("PSEUDO_LABELS.METHOD", "kmeans", "agglomerative", ()),
    ("PSEUDO_LABELS.EVERY_N_EPOCHS", 0, 1, ()),
    ("PSEUDO_LABELS.K1", 0, 1, ()),
    pytest.param("PSEUDO_LABELS.K1", 1, 2, ("PSEUDO_LABELS.METHOD", "infomap"),
                 marks=pytest.mark.skipif("infomap" not in LABELER_REGISTRY.names(),
                                          reason="the infomap labeler is not registered")),
    ("PSEUDO_LABELS.K2", 0, 1, ()),
    ("PSEUDO_LABELS.KNN_INDEX", "ivf", "hnsw", ()),
    ("PSEUDO_LABELS.EPS", 0.0, 1e-6, ()),
    ("PSEUDO_LABELS.EPS", 1.0, 0.999, ()),
    ("PSEUDO_LABELS.MIN_SAMPLES", 0, 1, ()),
    ("PSEUDO_LABELS.MERGE_PERCENT", 0.0, 0.001, ()),
    ("PSEUDO_LABELS.MERGE_PERCENT", 1.0, 0.999, ()),
    ("PSEUDO_LABELS.LINKAGE", "max", "average", ()),
    ("PSEUDO_LABELS.SIZE_PENALTY", -0.001, 0.0, ()),
    ("PSEUDO_LABELS.KNN", 0, 1, ()),
    ("PSEUDO_LABELS.MIN_SIMILARITY", 1.001, 1.0, ()),
    ("PSEUDO_LABELS.MIN_SIMILARITY", -1.001, -1.0, ()),
    ("PSEUDO_LABELS.MAX_OUTLIER_SIZE", -1, 0, ()),
    ("SOLVER.MAX_EPOCH", 0, 1, ()),
    ("SOLVER.ITERS_PER_EPOCH", 0, 1, ()),
    ("SOLVER.CHECKPOINT_PERIOD", 0, 1, ()),
    ("SOLVER.BASE_LR", 0.0, 1e-9, ()),
    ("SOLVER.HEADS_LR_FACTOR", -0.1, 0.0, ()),
    ("SOLVER.WEIGHT_DECAY", -1e-5, 0.0, ()),
    ("SOLVER.WEIGHT_DECAY_NORM", -1e-5, 0.0, ()),
    ("SOLVER.OPT", "Adamm", "SGD", ()),
    ("SOLVER.MOMENTUM", -0.1, 0.0, ("SOLVER.OPT", "SGD")),
    ("SOLVER.SCHED", "StepLR", "CosineAnnealingLR", ()),
    ("SOLVER.DELAY_EPOCHS", SYNTH_MAX_EPOCH, SYNTH_MAX_EPOCH - 1, ("SOLVER.SCHED", "CosineAnnealingLR")),
    ("SOLVER.WARMUP_METHOD", "cosine", "exp", ("SOLVER.WARMUP_ITERS", 10)),
    ("SOLVER.CLIP_GRADIENTS.CLIP_TYPE", "l2", "value", ("SOLVER.CLIP_GRADIENTS.ENABLED", True)),
    ("SEED", 2**32 - SYNTH_MAX_EPOCH + 1, 2**32 - SYNTH_MAX_EPOCH, ()),
    ("SOLVER.IMS_PER_BATCH", 10, 12, ("DATALOADER.NUM_INSTANCE", 4)),
    ("SOLVER.IMS_PER_BATCH", 0, 4, ()),
    ("SOLVER.IMS_PER_BATCH", 66, 68, BASELINE),
    ("SOLVER.IMS_PER_BATCH", 0, 1, BASELINE_ANY_BATCH),
    ("DATALOADER.NUM_INSTANCE", 0, 1, ()),
    ("DATALOADER.NUM_WORKERS", -1, 0, ()),
    ("DATALOADER.SAMPLER_TRAIN", "NaiveIdentitySampler", "CameraAwareIdentitySampler", ()),
    ("DATALOADER.SAMPLER_TRAIN", "RandomMultipleGallerySampler", "BalancedIdentitySampler", BASELINE),
    ("INPUT.SIZE_TRAIN", [64, 0], [64, 1], ()),
    ("INPUT.SIZE_TRAIN", [64, 32, 3], [64], ()),
    ("INPUT.SIZE_TRAIN", [0], [1], ()),     # padding crops back to a size: none given
    ("INPUT.SIZE_TEST", [64, 0], [0], ()),  # [0]: no resize
    ("INPUT.FLIP.PROB", 1.001, 1.0, ()),
    ("INPUT.CJ.PROB", -0.001, 0.0, ()),
    ("INPUT.REA.PROB", 1.5, 0.5, ("INPUT.REA.ENABLED", True)),
    ("INPUT.COLOR_CAST.PROB", 1.001, 1.0, ()),
    ("INPUT.COLOR_CAST.STRENGTH", 1.0, 0.999, ()),
    ("INPUT.CJ.HUE", 0.501, 0.5, ()),
    ("INPUT.CJ.BRIGHTNESS", -0.001, 0.0, ()),
    ("INPUT.PADDING.SIZE", -1, 0, ()),
    ("INPUT.PADDING.MODE", "zeros", "reflect", ()),
    ("INPUT.REA.MODE", "torchvision", "release", ()),
    ("DATASETS.NAMES", ("Market",), ("Market1501",), ()),
    ("DATASETS.NAMES", (), ("SyntheticSource",), ()),
    ("DATASETS.TESTS", ("SyntheticTarget", "Duke"), ("SyntheticTarget", "DukeMTMC"), ()),
    ("DATASETS.TESTS", (), ("SyntheticTarget",), ()),
    ("TEST.PRECISE_BN.DATASET", "Market", "Market1501", ("TEST.PRECISE_BN.ENABLED", True)),
    ("DATASETS.FOLDER.ROOT", "", "crops", FOLDER),
    ("DATASETS.FOLDER.ID_FROM", "path", "none", FOLDER),
    ("DATASETS.FOLDER.TRAIN_ID_FROM", "folders", "same", FOLDER),
    ("DATASETS.FOLDER.PATTERN", r"^(?P<pid>\d+)", r"^(?P<id>\d+)", FOLDER),
    ("DATASETS.FOLDER.PATTERN", r"^(?P<id>\d+", r"^(?P<id>\d+)", FOLDER),
    ("DATASETS.SYNTH_TARGET.NUM_TRAIN_IDS", 0, 1, ()),
    ("DATASETS.SYNTH_TARGET.NUM_TEST_IDS", 0, 1, ()),
    ("DATASETS.SYNTH_TARGET.NUM_TEST_IDS", 9800, 9799, ()),   # + NUM_TRAIN_IDS 200 <= 9999
    ("DATASETS.SYNTH_TARGET.NUM_CAMERAS", 7, 6, ()),
    ("DATASETS.SYNTH_TARGET.NUM_CAMERAS", 1, 2, ()),
    ("DATASETS.SYNTH_TARGET.IMAGES_PER_CAMERA", 1, 2, ()),
    ("DATASETS.SYNTH_TARGET.DIFFICULTY", 1.001, 1.0, ()),
    ("DATASETS.SYNTH_TARGET.IMAGE_SIZE", [31, 16], [32, 16], ()),
    ("DATASETS.SYNTH_SOURCE.IMAGE_SIZE", [32, 15], [32, 16], ()),   # read by SyntheticTarget runs too
    ("TEST.PROTOCOL", "camera", "camera_free", ()),
    ("TEST.METRIC", "l2", "euclidean", ()),
    ("TEST.EVAL_PERIOD", 0, 1, ()),
    ("TEST.IMS_PER_BATCH", 0, 1, ()),
    ("TEST.RERANK.K1", 0, 1, ("TEST.RERANK.ENABLED", True)),
    ("TEST.AQE.QE_K", 0, 1, ("TEST.AQE.ENABLED", True)),
]


def synth_cfg(*overrides):
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_file(str(SYNTH_CONFIG))
    cfg.merge_from_list(list(overrides))
    return cfg


def problems(cfg, world_size: int = 1) -> list:
    try:
        check_config(cfg, world_size=world_size)
    except ConfigValueError as error:
        return list(error.problems)
    return []


def rule_id(rule) -> str:
    key, bad, _, _ = getattr(rule, "values", rule)
    return f"{key}={bad!r}"


@pytest.mark.parametrize("key, bad, good, extra", RULES, ids=[rule_id(rule) for rule in RULES])
def test_a_value_just_outside_its_range_is_refused_and_one_just_inside_is_not(key, bad, good, extra):
    assert problems(synth_cfg(*extra, key, good)) == []
    cfg = synth_cfg(*extra, key, bad)
    with pytest.raises(ConfigValueError) as error:
        check_config(cfg, world_size=1)
    [problem] = error.value.problems
    assert problem.key == key and problem.value == bad
    shown = repr(list(bad) if isinstance(bad, tuple) else bad)
    assert f"{key} is {shown};" in str(error.value)


def test_every_problem_is_reported_at_once():
    cfg = synth_cfg("SOLVER.IMS_PER_BATCH", 10, "PSEUDO_LABELS.EPS", 0.0, "MODEL.MEMORY.MODE", "hybird",
                    "TEST.PROTOCOL", "cams")
    with pytest.raises(ConfigValueError) as error:
        check_config(cfg, world_size=1)
    message = str(error.value)
    assert message.startswith("4 invalid config values")
    assert [p.key for p in error.value.problems] == ["MODEL.MEMORY.MODE", "PSEUDO_LABELS.EPS", "TEST.PROTOCOL",
                                                      "SOLVER.IMS_PER_BATCH"]
    assert ("SOLVER.IMS_PER_BATCH is 10; with DATALOADER.SAMPLER_TRAIN RandomMultipleGallerySampler it must be a "
            "positive multiple of DATALOADER.NUM_INSTANCE (4): whole groups of images per identity, e.g. 8 or 12"
            in message)
    assert "PSEUDO_LABELS.EPS is 0.0; must be in (0, 1)" in message
    assert "MODEL.MEMORY.MODE is 'hybird'; must be one of " in message and "hybrid" in message
    assert isinstance(error.value, ValueError)


def test_the_train_batch_splits_into_whole_groups_per_process():
    cfg = synth_cfg("SOLVER.IMS_PER_BATCH", 12, "DATALOADER.NUM_INSTANCE", 4, "TEST.IMS_PER_BATCH", 1)
    assert problems(cfg, world_size=1) == []
    found = problems(cfg, world_size=2)
    assert [p.key for p in found] == ["TEST.IMS_PER_BATCH", "SOLVER.IMS_PER_BATCH"]
    assert ("must split into 2 processes of whole groups of DATALOADER.NUM_INSTANCE (4) images: a positive "
            "multiple of 8, e.g. 8 or 16") in str(found[1])
    assert problems(synth_cfg("SOLVER.IMS_PER_BATCH", 16, "DATALOADER.NUM_INSTANCE", 4), world_size=2) == []


def test_a_sampler_without_identity_groups_takes_any_batch_of_one_image_per_process():
    cfg = synth_cfg(*BASELINE_ANY_BATCH, "SOLVER.IMS_PER_BATCH", 3)
    assert problems(cfg, world_size=3) == []
    assert [p.key for p in problems(cfg, world_size=4)] == ["SOLVER.IMS_PER_BATCH"]


def test_the_options_of_a_switched_off_feature_are_not_read():
    cfg = synth_cfg("INPUT.REA.ENABLED", False, "INPUT.REA.PROB", 1.5, "TEST.RERANK.ENABLED", False,
                    "TEST.RERANK.K1", 0, "SOLVER.WARMUP_ITERS", 0, "SOLVER.WARMUP_METHOD", "cosine")
    assert problems(cfg) == []


def test_the_seed_limit_is_numpys_for_the_last_epoch():
    """Epoch e is seeded with SEED + e (e < MAX_EPOCH); numpy refuses 2**32."""
    for seed in (2**32 - SYNTH_MAX_EPOCH, 2**32 - SYNTH_MAX_EPOCH + 1):
        accepted = problems(synth_cfg("SEED", seed)) == []
        try:
            np.random.seed(seed + SYNTH_MAX_EPOCH - 1)
            numpy_accepts = True
        except ValueError:
            numpy_accepts = False
        assert accepted == numpy_accepts
    assert problems(synth_cfg("SEED", -1)) == []


SYNTHETIC_RULES = [rule for rule in RULES if ".SYNTH_" in rule[0]]


@pytest.mark.parametrize("key, bad, good, extra", SYNTHETIC_RULES, ids=[rule_id(rule) for rule in SYNTHETIC_RULES])
def test_synthetic_ranges_are_those_of_the_spec(key, bad, good, extra):
    node = key.rsplit(".", 1)[0].split(".", 1)[1]
    assert SyntheticSpec.from_cfg(synth_cfg(key, good).DATASETS[node])
    with pytest.raises(ValueError):
        SyntheticSpec.from_cfg(synth_cfg(key, bad).DATASETS[node])


def documented_overrides(config) -> list[str]:
    """The KEY VALUE pairs of the config's ``# Command: ... train_net.py --config-file X ...`` header."""
    for line in config.read_text().splitlines():
        if line.startswith("# Command:"):
            words = shlex.split(line.removeprefix("# Command:"))
            return words[words.index("--config-file") + 2:]
    return []


CONFIGS = sorted((REPO / "configs").rglob("*.yml"))


@pytest.mark.parametrize("config", CONFIGS, ids=[str(c.relative_to(REPO)) for c in CONFIGS])
def test_every_shipped_config_passes_on_one_two_and_four_processes(config):
    cfg = setup_cfg(argparse.Namespace(config_file=str(config), opts=documented_overrides(config)), for_run=False)
    for world_size in (1, 2, 4):
        assert problems(cfg, world_size) == [], world_size


def test_the_folder_template_needs_its_root():
    config = REPO / "configs/HHCL/folder.yml"
    assert documented_overrides(config) == ["DATASETS.FOLDER.ROOT", "/path/to/crops"]
    with pytest.raises(ConfigValueError, match="DATASETS.FOLDER.ROOT is ''; must be set with FolderDataset"):
        setup_cfg(argparse.Namespace(config_file=str(config), opts=[]), for_run=False)
