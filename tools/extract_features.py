#!/usr/bin/env python
"""Features of a trained model, written to one .npz file.

    python tools/extract_features.py --run logs/synth/hhcl_SmallCNN --images path/to/crops \\
        --output features.npz
    python tools/extract_features.py --run logs/synth/hhcl_SmallCNN --checkpoint best \\
        --dataset SyntheticTarget --split gallery --output gallery.npz
    python tools/extract_features.py --config-file configs/HHCL/synth.yml \\
        --images path/to/crops --output features.npz MODEL.WEIGHTS path/to/model_final.pth

The model: a training run's folder (its config.yaml and model_final.pth, or
model_best.pth with --checkpoint best), or a config file with MODEL.WEIGHTS.
The images: every .jpg/.jpeg/.png/.bmp under a folder (recursive), or a
split of a registered dataset, read with the config's dataset options.

The file holds `features` (N x d float32, L2-normalised rows), `paths` and,
for a dataset split, `ids` and `cameras`: numpy.load(path)["features"].
Trailing KEY VALUE pairs override the config (e.g. TEST.IMS_PER_BATCH 64,
MODEL.DEVICE cpu).
"""

from __future__ import annotations

import argparse

import hhcl  # noqa: F401  (patches FastReID, registers the plugin's parts)
from fastreid.utils.logger import setup_logger
from hhcl.compat import stop_background_loaders
from hhcl.engine import add_trained_model_arguments, load_trained_model_from_args
from hhcl.engine.feature_files import SPLITS, dataset_split, extract_to_file, folder_images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_trained_model_arguments(parser)
    images = parser.add_mutually_exclusive_group(required=True)
    images.add_argument("--images", help="a folder of images (sub-folders included)")
    images.add_argument("--dataset", help="a registered dataset name (with --split)")
    parser.add_argument("--split", choices=SPLITS, help="with --dataset: which images")
    parser.add_argument("--output", required=True, help="the .npz file to write")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="KEY VALUE config overrides")
    args = parser.parse_args()
    if bool(args.dataset) != bool(args.split):
        parser.error("--dataset needs --split query|gallery|train, and --split needs --dataset")
    for name in ("fastreid", "hhcl"):
        setup_logger(name=name)
    try:
        cfg, model = load_trained_model_from_args(args)
        image_set = folder_images(args.images) if args.images else dataset_split(cfg, args.dataset, args.split)
        output = extract_to_file(model, cfg, image_set, args.output)
    finally:  # a loader thread still running at exit can abort the process (docs/COMPAT.md, row 13)
        stop_background_loaders()
    print(f"{output}: features of {len(image_set.items)} images ({image_set.description})", flush=True)


if __name__ == "__main__":
    main()
