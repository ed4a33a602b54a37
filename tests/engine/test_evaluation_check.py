"""Trainers check, when built (before the first epoch), that every test set
can be scored under its evaluation protocol, and log the protocol."""

from __future__ import annotations

import logging

import pytest
from fastreid.config import get_cfg

from hhcl import add_hhcl_config
from hhcl.engine import trainer_class

from ..helpers import REPO, write_crop

CONFIGS = ["configs/HHCL/folder.yml", "configs/Baselines/synth_bagtricks_SmallCNN.yml"]


def one_camera_folder(root):
    """Market-style names, all from camera 1: FastReID's protocol finds no true match."""
    for split, ids, per_id in (("train", range(4), 4), ("query", range(4, 7), 1), ("gallery", range(4, 8), 2)):
        for pid in ids:
            for k in range(per_id):
                write_crop(root / split / f"{pid:04d}_c1s1_{split}{k}.jpg", pid, k, (16, 8))
    return root


def make_cfg(config, root, output, *options):
    output.mkdir(parents=True, exist_ok=True)  # tools/train_net.py's default_setup does this
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_file(str(REPO / config))
    cfg.merge_from_list(["DATASETS.NAMES", ("FolderDataset",), "DATASETS.TESTS", ("FolderDataset",),
                         "DATASETS.FOLDER.ROOT", str(root), "DATASETS.FOLDER.ID_FROM", "pattern",
                         "DATASETS.FOLDER.TRAIN_ID_FROM", "same", "MODEL.DEVICE", "cpu", "DATALOADER.NUM_WORKERS", "0",
                         "SOLVER.IMS_PER_BATCH", "16", "DATALOADER.NUM_INSTANCE", "4", "MODEL.BACKBONE.PRETRAIN",
                         "False", "OUTPUT_DIR", str(output), *options])
    return cfg


@pytest.mark.parametrize("config", CONFIGS)
def test_a_test_set_that_cannot_be_scored_stops_the_trainer_with_advice(config, tmp_path, datasets_root,
                                                                       monkeypatch):
    cfg = make_cfg(config, one_camera_folder(tmp_path / "crops"), tmp_path / "run")
    trainer = trainer_class(cfg)

    def model_built_before_the_check(cls, cfg):
        raise AssertionError("the model was built before the test sets were checked")

    monkeypatch.setattr(trainer, "build_model", classmethod(model_built_before_the_check))
    with pytest.raises(ValueError) as error:
        trainer(cfg)
    message = str(error.value)
    assert message.startswith("FolderDataset cannot be evaluated under FastReID's protocol")
    assert "(TEST.PROTOCOL auto, the test set has camera ids)" in message and "`camera` group" in message
    assert "TEST.PROTOCOL camera_free" in message


@pytest.mark.parametrize("config", CONFIGS)
def test_the_protocol_in_use_is_logged_when_the_trainer_is_built(config, tmp_path, datasets_root, caplog):
    cfg = make_cfg(config, one_camera_folder(tmp_path / "crops"), tmp_path / "run", "TEST.PROTOCOL", "camera_free")
    with caplog.at_level(logging.INFO, logger="hhcl.evaluation.protocol"):
        trainer = trainer_class(cfg)(cfg)
    assert "FolderDataset is evaluated under the camera-free protocol" in caplog.text
    assert "(TEST.PROTOCOL camera_free)" in caplog.text
    assert "3 of 3 queries have a true match" in caplog.text
    assert trainer.start_epoch == 0   # built, nothing trained
    trainer.stop_data_loader()


def test_supervised_training_without_train_identities_is_refused(tmp_path, datasets_root):
    cfg = make_cfg(CONFIGS[1], one_camera_folder(tmp_path / "crops"), tmp_path / "run",
                   "DATASETS.FOLDER.TRAIN_ID_FROM", "none", "TEST.PROTOCOL", "camera_free")  # the test set is fine
    with pytest.raises(ValueError, match="Baseline trains on identity labels.*TRAIN_ID_FROM none"):
        trainer_class(cfg)(cfg)
