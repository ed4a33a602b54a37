#!/usr/bin/env python
"""A trained model's embedding as ONNX, checked against torch with ONNX Runtime.

    python tools/export_onnx.py --run logs/synth/hhcl_SmallCNN --output model.onnx
    python tools/export_onnx.py --config-file configs/HHCL/synth.yml --output model.onnx \\
        MODEL.WEIGHTS path/to/model_final.pth

The model: a training run's folder (config.yaml and model_final.pth, or
model_best.pth with --checkpoint best), or a config file with MODEL.WEIGHTS.
Exported: the backbone and head with the input normalisation (no memory).

Input `images`: float32 N x 3 x H x W, RGB, values 0..255 (not divided by
255), each image resized to H x W = INPUT.SIZE_TEST (bicubic); any N.
Output `features`: N x d float32, L2-normalised rows. The file's metadata
repeats this.

Needs the optional packages: pip install -e ".[onnx]"
"""

from __future__ import annotations

import argparse
import sys

import hhcl  # noqa: F401  (patches FastReID, registers the plugin's parts)
from fastreid.utils.logger import setup_logger
from hhcl.engine import add_trained_model_arguments, load_trained_model_from_args
from hhcl.engine.onnx_export import OnnxDependencyError, check_onnx, export_onnx, input_description, require_onnx

#: Largest difference from torch's features that the check accepts.
TOLERANCE = 1e-4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_trained_model_arguments(parser)
    parser.add_argument("--output", required=True, help="the .onnx file to write")
    parser.add_argument("--opset", type=int, help="ONNX opset (default: torch's exporter's)")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="KEY VALUE config overrides")
    args = parser.parse_args()
    try:
        require_onnx()  # before the model is loaded
    except OnnxDependencyError as error:
        sys.exit(f"error: {error}")
    for name in ("fastreid", "hhcl"):
        setup_logger(name=name)
    cfg, model = load_trained_model_from_args(args)
    output = export_onnx(model, cfg, args.output, opset=args.opset)
    difference = check_onnx(output, model, cfg)
    description = input_description(cfg)
    print(f"{output}\n  input:  {description['input']}\n  output: {description['output']}\n"
          f"  ONNX Runtime vs torch: max |difference| {difference:.2e} on a batch of 3", flush=True)
    if difference > TOLERANCE:
        sys.exit(f"error: ONNX Runtime's features differ from torch's by {difference:.2e} (> {TOLERANCE:g})")


if __name__ == "__main__":
    main()
