"""tools/extract_features.py as a user runs it: a run folder or a config with
MODEL.WEIGHTS, a folder of images or a dataset split, one .npz out."""

from __future__ import annotations

import numpy as np
import torch

from hhcl.engine import build_inference_loader, extract_features

from ..helpers import SYNTH_CONFIG, TINY_RUN, run_tool, tiny_model, write_images, write_run_folder


def test_folder_of_images_from_a_run_folder(tmp_path):
    cfg, model = tiny_model()
    run = write_run_folder(tmp_path / "run", cfg, model)
    write_images(tmp_path / "crops", ["cam1/b.jpg", "cam1/a.jpg", "c.png"])
    result = run_tool("extract_features.py", "--run", str(run), "--images", str(tmp_path / "crops"),
                      "--output", str(tmp_path / "features.npz"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"{tmp_path / 'features.npz'}: features of 3 images" in result.stdout
    assert f"Loading checkpoint from {run / 'model_final.pth'}" in result.stdout
    with np.load(tmp_path / "features.npz") as saved:
        assert set(saved.files) == {"features", "paths"}  # no ids or cameras for a plain folder
        features, paths = saved["features"], saved["paths"].tolist()
    assert paths == [str(tmp_path / "crops" / name) for name in ("c.png", "cam1/a.jpg", "cam1/b.jpg")]
    # The run's trained weights, not the config's seeded initialisation:
    expected = extract_features(model, build_inference_loader(cfg, [(path, 0, 0) for path in paths])).features
    np.testing.assert_allclose(features, expected.numpy(), atol=1e-5)
    assert features.dtype == np.float32 and np.allclose(np.linalg.norm(features, axis=1), 1, atol=1e-5)


def test_dataset_split_from_a_config_and_weights(tmp_path):
    cfg, model = tiny_model()
    weights = tmp_path / "weights.pth"
    torch.save({"model": model.state_dict()}, weights)
    result = run_tool("extract_features.py", "--config-file", str(SYNTH_CONFIG), "--dataset", "SyntheticTarget",
                      "--split", "gallery", "--output", str(tmp_path / "gallery.npz"), *TINY_RUN,
                      "MODEL.WEIGHTS", str(weights), env={"FASTREID_DATASETS": str(tmp_path / "datasets")})
    assert result.returncode == 0, result.stderr[-3000:]
    with np.load(tmp_path / "gallery.npz") as saved:
        assert set(saved.files) == {"features", "paths", "ids", "cameras"}
        n = len(saved["paths"])
        assert saved["features"].shape == (n, 256) and saved["ids"].shape == saved["cameras"].shape == (n,)
        assert saved["ids"].dtype.kind == "i" and len(set(saved["cameras"].tolist())) == 3
    assert f"features of {n} images (SyntheticTarget gallery)" in result.stdout


def test_missing_checkpoint_is_named(tmp_path):
    cfg, model = tiny_model()
    run = write_run_folder(tmp_path / "run", cfg, model)
    best = run_tool("extract_features.py", "--run", str(run), "--checkpoint", "best", "--images", str(tmp_path),
                    "--output", str(tmp_path / "f.npz"))
    assert best.returncode == 1
    assert f"{run / 'model_best.pth'} is missing" in best.stderr and "model_final.pth" in best.stderr
    assert not (tmp_path / "f.npz").exists()
