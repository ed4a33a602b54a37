"""A trained model's embedding as ONNX (``tools/export_onnx.py``): the
backbone and head without the memory, with the input normalisation inside,
so that deployment needs nothing but the image resized.

The exported graph takes ``images``: float32, N×3×H×W, RGB, values 0..255
(not divided by 255), H×W = the config's ``INPUT.SIZE_TEST``, each image
resized to it as FastReID's test transform does (bicubic). The batch axis is
dynamic. It gives ``features``: N×d float32, L2-normalised rows (compare
them with a dot product). The same facts are in the file's metadata.

``onnx``, ``onnxscript`` (torch's exporter) and ``onnxruntime`` (the check
after export) are optional: ``pip install -e ".[onnx]"``.
"""

from __future__ import annotations

import copy
import importlib
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from fastreid.config import CfgNode
from torch import nn

#: The optional packages of ONNX export (the ``onnx`` extra of setup.py).
ONNX_PACKAGES = ("onnx", "onnxscript", "onnxruntime")
INSTALL_COMMAND = 'pip install -e ".[onnx]"'


class OnnxDependencyError(ImportError):
    """An optional package of ONNX export is not installed."""


def require_onnx() -> None:
    """Import the ONNX packages, or raise :class:`OnnxDependencyError`
    naming the missing ones and :data:`INSTALL_COMMAND`."""
    missing = []
    for name in ONNX_PACKAGES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise OnnxDependencyError(
            f"ONNX export needs the optional package{'s' if len(missing) > 1 else ''} {', '.join(missing)}. "
            f"Install them with: {INSTALL_COMMAND}  (from the repository root; or pip install "
            f"{' '.join(ONNX_PACKAGES)})")


class EmbeddingModel(nn.Module):
    """Raw images → the trained model's features: ``(images − PIXEL_MEAN) /
    PIXEL_STD`` (what the model's ``preprocess_image`` does), backbone, head
    in eval mode, L2 normalisation (a no-op for the plugin's
    ``NormalizedEmbeddingHead``; FastReID's ``EmbeddingHead`` gives the BN
    neck's features, which its evaluation normalises). No memory, no
    classifier. ``images``: N×3×H×W float, RGB, 0..255."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.backbone = copy.deepcopy(model.backbone)
        self.heads = copy.deepcopy(model.heads)
        self.register_buffer("pixel_mean", model.pixel_mean.detach().clone().reshape(1, -1, 1, 1))
        self.register_buffer("pixel_std", model.pixel_std.detach().clone().reshape(1, -1, 1, 1))
        self.eval()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.heads(self.backbone((images - self.pixel_mean) / self.pixel_std)), dim=1)


def input_description(cfg: CfgNode) -> dict[str, str]:
    """What the exported model takes and gives, as the file's metadata."""
    height, width = _input_size(cfg)
    return {
        "input": f"images: float32 N x 3 x {height} x {width}, RGB, values 0..255 (not divided by 255); "
                 f"{_resize_steps(cfg)}",
        "output": "features: float32 N x d, L2-normalised rows (cosine similarity = dot product)",
        "input_height": str(height),
        "input_width": str(width),
        "pixel_mean": " ".join(f"{v:g}" for v in cfg.MODEL.PIXEL_MEAN),
        "pixel_std": " ".join(f"{v:g}" for v in cfg.MODEL.PIXEL_STD),
        "meta_architecture": cfg.MODEL.META_ARCHITECTURE,
        "backbone": cfg.MODEL.BACKBONE.NAME,
    }


def export_onnx(model: nn.Module, cfg: CfgNode, output: str | os.PathLike, opset: int | None = None) -> Path:
    """Write ``model``'s :class:`EmbeddingModel` (on the CPU) to ``output``
    as one ONNX file with a dynamic batch axis and :func:`input_description`
    as metadata. Returns the path written."""
    require_onnx()
    import onnx

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    module = EmbeddingModel(model).cpu()
    height, width = _input_size(cfg)
    example = torch.rand(2, 3, height, width, generator=torch.Generator().manual_seed(0)) * 255
    torch.onnx.export(module, (example,), str(output), input_names=["images"], output_names=["features"],
                      dynamo=True, dynamic_shapes=({0: torch.export.Dim("batch")},), opset_version=opset,
                      external_data=False, verbose=False)
    exported = onnx.load(str(output))
    for key, value in input_description(cfg).items():
        entry = exported.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(exported, str(output))
    return output


def onnx_features(path: str | os.PathLike, images: np.ndarray | torch.Tensor) -> np.ndarray:
    """The exported model's features of ``images`` (raw, N×3×H×W) under
    ONNX Runtime on the CPU."""
    require_onnx()
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    images = images.numpy() if isinstance(images, torch.Tensor) else images
    return session.run(["features"], {"images": np.ascontiguousarray(images, dtype=np.float32)})[0]


def check_onnx(path: str | os.PathLike, model: nn.Module, cfg: CfgNode, batch_size: int = 3) -> float:
    """The largest absolute difference between ONNX Runtime's features and
    ``model``'s own (eval mode, CPU) on a random raw batch."""
    height, width = _input_size(cfg)
    images = torch.rand(batch_size, 3, height, width, generator=torch.Generator().manual_seed(1)) * 255
    with torch.no_grad():
        expected = EmbeddingModel(model).cpu()(images).numpy()
    return float(np.abs(onnx_features(path, images) - expected).max())


def _input_size(cfg: CfgNode) -> tuple[int, int]:
    """H×W of the test transform's output: ``INPUT.SIZE_TEST``, or the centre
    crop ``INPUT.CROP.SIZE`` taken from it."""
    if cfg.INPUT.CROP.ENABLED:
        size = list(cfg.INPUT.CROP.SIZE)
        return (int(size[0]), int(size[-1]))
    size = list(cfg.INPUT.SIZE_TEST)
    if len(size) != 2 or min(size) <= 0:
        raise ValueError(f"ONNX export needs a fixed input size: INPUT.SIZE_TEST [height, width], not {size}")
    return int(size[0]), int(size[1])


def _resize_steps(cfg: CfgNode) -> str:
    height, width = _input_size(cfg)
    if not cfg.INPUT.CROP.ENABLED:
        return f"resize each image to {height}x{width} (height x width, bicubic), as FastReID's test transform"
    return (f"resize each image as INPUT.SIZE_TEST {list(cfg.INPUT.SIZE_TEST)} (bicubic), then centre-crop it to "
            f"{height}x{width}, as FastReID's test transform")
