import torch
from fastreid.config import get_cfg
from fastreid.data.datasets import DATASET_REGISTRY

from hhcl import add_hhcl_config
from hhcl.data import SyntheticSource, SyntheticTarget, load_train_items
from hhcl.data.synthetic import plan_images
from hhcl.engine import BaselineTrainer

from ...helpers import TINY_SPEC


def test_registered_in_fastreid():
    assert DATASET_REGISTRY.get("SyntheticSource") is SyntheticSource
    assert DATASET_REGISTRY.get("SyntheticTarget") is SyntheticTarget


def test_generates_on_first_use_and_lists_market_items(tiny_synthetic):
    dataset = SyntheticTarget(root=str(tiny_synthetic))
    plan = plan_images(TINY_SPEC, "target")
    assert len(dataset.train) == sum(p.split == "bounding_box_train" for p in plan)
    assert len(dataset.query) == sum(p.split == "query" for p in plan)
    assert len(dataset.gallery) == sum(p.split == "bounding_box_test" for p in plan)
    path, pid, camid = dataset.train[0]
    assert pid.startswith("synthtarget_") and camid.startswith("synthtarget_")
    assert isinstance(dataset.query[0][1], int) and 0 <= dataset.query[0][2] < TINY_SPEC.num_cameras


def test_config_options_reach_fastreid_loaders(datasets_root):
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_list([
        "DATASETS.NAMES", "('SyntheticSource',)", "DATASETS.SYNTH_SOURCE.NUM_TRAIN_IDS", "6",
        "DATASETS.SYNTH_SOURCE.NUM_TEST_IDS", "3", "DATASETS.SYNTH_SOURCE.IMAGE_SIZE", "[64, 32]",
        "DATASETS.SYNTH_SOURCE.NUM_CAMERAS", "2", "DATASETS.SYNTH_SOURCE.IMAGES_PER_CAMERA", "2",
        "DATALOADER.NUM_WORKERS", "0", "SOLVER.IMS_PER_BATCH", "8", "DATALOADER.NUM_INSTANCE", "2",
        "INPUT.SIZE_TRAIN", "[64, 32]", "INPUT.SIZE_TEST", "[64, 32]", "MODEL.DEVICE", "cpu",
    ])
    loader = BaselineTrainer.build_labelled_train_loader(cfg, load_train_items(cfg))
    assert loader.dataset.num_classes == 6
    try:
        batch = next(iter(loader))
    finally:
        loader.shutdown()  # its prefetch thread draws augmentations from the global RNGs
    assert batch["images"].shape == (8, 3, 64, 32)
    assert batch["images"].dtype == torch.float32
    test_loader, num_query = BaselineTrainer.build_test_loader(cfg, "SyntheticSource")
    assert num_query == sum(1 for item in test_loader.dataset.img_items[:num_query])
    assert {item[1] for item in test_loader.dataset.img_items} == set(range(7, 10))
