"""Features of a trained model over a folder or a dataset split, written to
one .npz (hhcl.engine.feature_files, behind tools/extract_features.py)."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from hhcl.engine import build_inference_loader, extract_features, load_trained_model
from hhcl.engine import features as features_module
from hhcl.engine.feature_files import dataset_split, extract_to_file, folder_images

from ..helpers import tiny_model, write_images, write_run_folder


def test_folder_images_sorted_recursive_without_hidden_or_other_files(tmp_path):
    write_images(tmp_path, ["b.jpg", "a/c.PNG", "a/d.jpeg", "e.bmp", ".hidden.jpg", ".cache/f.jpg"])
    (tmp_path / "notes.txt").write_text("not an image")
    images = folder_images(tmp_path)
    assert [path for path, _, _ in images.items] == [str(tmp_path / name) for name in
                                                     ("a/c.PNG", "a/d.jpeg", "b.jpg", "e.bmp")]
    assert not images.ids_known and not images.cameras_known


def test_folder_without_images_is_named(tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(FileNotFoundError, match=f"No image .* in {tmp_path}"):
        folder_images(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a folder"):
        folder_images(tmp_path / "missing")


def test_folder_features_are_the_models_normalised_and_in_path_order(tmp_path):
    cfg, model = tiny_model()
    write_images(tmp_path / "images", ["z.jpg", "sub/a.png", "m.jpg"])
    output = extract_to_file(model, cfg, folder_images(tmp_path / "images"), tmp_path / "out" / "features")
    assert output == tmp_path / "out" / "features.npz"
    with np.load(output) as saved:
        assert set(saved.files) == {"features", "paths"}
        features, paths = saved["features"], saved["paths"]
    assert paths.tolist() == [str(tmp_path / "images" / name) for name in ("m.jpg", "sub/a.png", "z.jpg")]
    assert features.dtype == np.float32 and features.shape == (3, 256)
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1, atol=1e-5)
    loader = build_inference_loader(cfg, [(path, 0, 0) for path in paths])
    np.testing.assert_allclose(features, extract_features(model, loader).features.numpy(), atol=1e-6)


def test_dataset_splits_keep_ids_and_cameras(tiny_synthetic, tmp_path, monkeypatch, caplog):
    cfg, model = tiny_model(opts=("TEST.IMS_PER_BATCH", "8"))
    monkeypatch.setattr(features_module, "PROGRESS_EVERY_S", 0.0)
    query = dataset_split(cfg, "SyntheticTarget", "query")
    with caplog.at_level(logging.INFO, logger="hhcl"):
        output = extract_to_file(model, cfg, query, tmp_path / "query.npz")
    assert "Extracting SyntheticTarget query: 1/" in caplog.text  # progress lines
    with np.load(output) as saved:
        assert saved["features"].shape == (len(query.items), 256)
        assert saved["paths"].tolist() == [path for path, _, _ in query.items]
        assert saved["ids"].tolist() == [pid for _, pid, _ in query.items] and saved["ids"].dtype.kind == "i"
        assert saved["cameras"].tolist() == [camera for _, _, camera in query.items]

    train = dataset_split(cfg, "SyntheticTarget", "train")
    with np.load(extract_to_file(model, cfg, train, tmp_path / "train.npz")) as saved:
        assert saved["ids"].dtype.kind == "U"  # FastReID's train ids: strings prefixed by the dataset
        assert saved["ids"].tolist() == [pid for _, pid, _ in train.items] and len(set(saved["ids"])) == 16
    with pytest.raises(ValueError, match="one of query, gallery, train"):
        dataset_split(cfg, "SyntheticTarget", "test")


def test_trained_model_from_run_folder_or_config(tmp_path):
    cfg, model = tiny_model()
    run = write_run_folder(tmp_path / "run", cfg, model)
    images = torch.rand(2, 3, 64, 32) * 255
    expected = model(images)
    loaded_cfg, loaded = load_trained_model(run)
    assert not loaded.training and loaded_cfg.MODEL.WEIGHTS == str(run / "model_final.pth")
    torch.testing.assert_close(loaded(images), expected)
    _, from_config = load_trained_model(config_file=str(run / "config.yaml"),
                                        opts=["MODEL.WEIGHTS", str(run / "model_final.pth")])
    torch.testing.assert_close(from_config(images), expected)
    with pytest.raises(FileNotFoundError, match="model_best.pth is missing.*model_final.pth"):
        load_trained_model(run, checkpoint="best")
    with pytest.raises(ValueError, match="no MODEL.WEIGHTS"):
        load_trained_model(config_file=str(run / "config.yaml"), opts=["MODEL.WEIGHTS", ""])
    with pytest.raises(FileNotFoundError, match="is not the OUTPUT_DIR"):
        load_trained_model(tmp_path)
