"""The embedding model as ONNX (hhcl.engine.onnx_export, behind
tools/export_onnx.py): ONNX Runtime gives torch's features on raw images."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from PIL import Image

from hhcl.engine import build_inference_loader, extract_features
from hhcl.engine.onnx_export import EmbeddingModel, OnnxDependencyError, export_onnx, onnx_features

from ..helpers import REPO, tiny_model, write_images

onnxruntime = pytest.importorskip("onnxruntime")  # the optional extra, installed by requirements-test.txt


def test_onnx_runtime_gives_the_models_features_for_any_batch_size(tmp_path):
    import onnx

    cfg, model = tiny_model()
    path = export_onnx(model, cfg, tmp_path / "model.onnx")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [(i.name, i.shape[1:]) for i in session.get_inputs()] == [("images", [3, 64, 32])]
    assert isinstance(session.get_inputs()[0].shape[0], str)  # the dynamic batch axis
    generator = torch.Generator().manual_seed(0)
    for batch_size in (1, 3):
        images = torch.rand(batch_size, 3, 64, 32, generator=generator) * 255  # raw RGB, 0..255
        with torch.no_grad():
            expected = model(images.clone()).numpy()  # the model's eval forward: preprocess, embed
        features = onnx_features(path, images)
        assert features.shape == (batch_size, 256)
        np.testing.assert_allclose(features, expected, atol=1e-4, rtol=0)
    metadata = {entry.key: entry.value for entry in onnx.load(str(path)).metadata_props}
    assert "0..255" in metadata["input"] and "64x32" in metadata["input"] and metadata["input_height"] == "64"
    assert "L2-normalised" in metadata["output"]

    # Deployment as documented, with PIL and ONNX Runtime only: bicubic resize, RGB 0..255, N×3×H×W.
    paths = write_images(tmp_path / "crops", ["a.jpg", "b.png"], size=(100, 45))
    raw = np.stack([np.asarray(Image.open(p).convert("RGB").resize((32, 64), Image.BICUBIC), dtype=np.float32)
                    .transpose(2, 0, 1) for p in paths])
    loader = build_inference_loader(cfg, [(str(p), 0, 0) for p in paths])  # FastReID's test transforms
    np.testing.assert_allclose(onnx_features(path, raw), extract_features(model, loader).features.numpy(),
                               atol=1e-4, rtol=0)


def test_embedding_model_leaves_the_memory_out_and_the_model_unchanged():
    cfg, model = tiny_model()
    embedding = EmbeddingModel(model)
    assert not any(name.startswith("memory") for name in embedding.state_dict())
    assert embedding.backbone is not model.backbone and not embedding.training


def test_baseline_model_features_are_normalised():
    """FastReID's EmbeddingHead gives unnormalised features in eval mode; the
    exported model normalises them (as the evaluation does)."""
    import argparse

    from hhcl.engine import setup_cfg, trainer_class

    cfg = setup_cfg(argparse.Namespace(config_file=str(REPO / "configs/Baselines/synth_bagtricks_SmallCNN.yml"),
                                       opts=["MODEL.DEVICE", "cpu"]), for_run=False)
    model = trainer_class(cfg).build_model(cfg).eval()
    images = torch.rand(2, 3, *cfg.INPUT.SIZE_TEST) * 255
    with torch.no_grad():
        expected = torch.nn.functional.normalize(model(images.clone()), dim=1)
        torch.testing.assert_close(EmbeddingModel(model)(images), expected)


@pytest.mark.parametrize("missing", ["onnx", "onnxscript", "onnxruntime"])
def test_missing_onnx_packages_name_the_install_command(monkeypatch, tmp_path, missing):
    monkeypatch.setitem(sys.modules, missing, None)  # import fails as if not installed
    with pytest.raises(OnnxDependencyError) as error:
        export_onnx(torch.nn.Module(), None, tmp_path / "model.onnx")
    message = str(error.value)
    named = message.split("optional package", 1)[1].split(".", 1)[0]  # onnxscript needs onnx too
    assert missing in named.lstrip("s ").split(", ") and 'pip install -e ".[onnx]"' in message
    assert isinstance(error.value, ImportError) and not (tmp_path / "model.onnx").exists()
