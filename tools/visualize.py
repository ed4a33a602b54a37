#!/usr/bin/env python
"""Ranked lists of a trained model: for some queries, the top-k gallery
images, framed green (same person) or red (another one).

    python tools/visualize.py --config-file configs/HHCL/synth.yml [--num-queries 8] [--top-k 10] \\
        [--dataset SyntheticTarget] [--output logs/ranked_lists.png] \\
        MODEL.WEIGHTS logs/synth/hhcl_SmallCNN/model_final.pth

The gallery images the evaluation leaves out are left out (the test set's
protocol, TEST.PROTOCOL: the query's identity seen by its camera, or on a
test set without cameras only the query image itself). Queries are spread
evenly over the query set.
"""

from __future__ import annotations

import argparse

import hhcl  # noqa: F401  (patches FastReID, registers the plugin's parts)
import numpy as np
from hhcl.compat import stop_background_loaders
from hhcl.data import load_test_split
from hhcl.engine import MemoryCheckpointer, extract_features, setup_cfg, trainer_class
from hhcl.reports import draw_ranked_lists, rank_gallery


def main() -> None:
    try:
        draw(parse_args())
    finally:  # a loader thread still running at exit can abort the process (docs/COMPAT.md, row 13)
        stop_background_loaders()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config-file", required=True)
    parser.add_argument("--dataset", help="default: the config's first test set")
    parser.add_argument("--num-queries", type=int, default=8)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--output", default="logs/ranked_lists.png")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="KEY VALUE overrides, e.g. MODEL.WEIGHTS path")
    return parser.parse_args()


def draw(args: argparse.Namespace) -> None:
    """Extract the test set's features, rank, draw, and print the summary line."""
    cfg = setup_cfg(args, for_run=False)
    trainer = trainer_class(cfg)
    model = trainer.build_model(cfg)
    MemoryCheckpointer(model).load(cfg.MODEL.WEIGHTS)  # a memory of any size loads
    dataset = args.dataset or cfg.DATASETS.TESTS[0]
    split = load_test_split(cfg, dataset)
    protocol = trainer.evaluation_protocol(cfg, split)
    loader, num_query = trainer.build_test_loader(cfg, split)
    extracted = extract_features(model, loader, description=f"{dataset} features")
    features, ids, cameras, paths = extracted.features.numpy(), extracted.ids, extracted.cameras, extracted.paths
    chosen = np.unique(np.linspace(0, num_query - 1, min(args.num_queries, num_query)).astype(int))
    ranked, matches = rank_gallery(features[chosen], features[num_query:], ids[chosen], ids[num_query:],
                                   cameras[chosen], cameras[num_query:], args.top_k, protocol=protocol,
                                   query_paths=[paths[i] for i in chosen], gallery_paths=paths[num_query:])
    height, width = cfg.INPUT.SIZE_TEST
    output = draw_ranked_lists([paths[i] for i in chosen], paths[num_query:], ranked, matches, args.output,
                               size=(max(height, 128), max(width, 64)))
    print(f"{output}: {len(chosen)} queries of {dataset}, top-{ranked.shape[1]}, "
          f"{matches[:, 0].mean():.0%} correct at rank 1")


if __name__ == "__main__":
    main()
