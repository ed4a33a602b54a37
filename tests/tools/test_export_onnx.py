"""tools/export_onnx.py as a user runs it: a run folder in, one ONNX file out
that ONNX Runtime runs on raw images with the model's features."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ..helpers import run_tool, tiny_model, write_run_folder


def test_run_folder_to_onnx_with_the_models_features(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    cfg, model = tiny_model()
    run = write_run_folder(tmp_path / "run", cfg, model)
    result = run_tool("export_onnx.py", "--run", str(run), "--output", str(tmp_path / "deploy" / "model.onnx"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "input:  images: float32 N x 3 x 64 x 32, RGB, values 0..255" in result.stdout
    assert "ONNX Runtime vs torch: max |difference|" in result.stdout
    session = onnxruntime.InferenceSession(str(tmp_path / "deploy" / "model.onnx"), providers=["CPUExecutionProvider"])
    for batch_size in (1, 3):
        images = torch.rand(batch_size, 3, 64, 32) * 255
        with torch.no_grad():
            expected = model(images.clone()).numpy()
        np.testing.assert_allclose(session.run(None, {"images": images.numpy()})[0], expected, atol=1e-4, rtol=0)


def test_missing_onnx_runtime_names_the_install_command(tmp_path):
    stand_in = tmp_path / "site" / "onnxruntime"
    stand_in.mkdir(parents=True)
    (stand_in / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'onnxruntime'\", "
                                          "name='onnxruntime')\n")
    result = run_tool("export_onnx.py", "--config-file", "configs/HHCL/synth.yml", "--output",
                      str(tmp_path / "model.onnx"), env={"PYTHONPATH": str(tmp_path / "site")})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        'error: ONNX export needs the optional package onnxruntime. Install them with: pip install -e ".[onnx]"  '
        "(from the repository root; or pip install onnx onnxscript onnxruntime)")
    assert "Traceback" not in result.stderr and not (tmp_path / "model.onnx").exists()
