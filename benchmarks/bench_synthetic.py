#!/usr/bin/env python
"""Time to generate a Market-1501-sized synthetic dataset (target: < 2 min here).

Market-1501 has 751 train identities with 17.2 images each (12,936 images);
the spec below has 751 train + 750 test identities, 6 cameras, 4 images per
camera that sees an identity (16 per identity on average), 128x64: the train
split alone is Market-sized, and the whole set (query and gallery included)
is generated and timed.

    python benchmarks/bench_synthetic.py [--workers N]
"""

import argparse
import json
import tempfile
import time

import hhcl  # noqa: F401
from hhcl.data.synthetic import SyntheticSpec, ensure_dataset

MARKET_SIZED = SyntheticSpec(num_train_ids=751, num_test_ids=750, num_cameras=6, images_per_camera=4,
                             difficulty=0.5, image_size=(128, 64), seed=0)
TARGET_SECONDS = 120.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    args = parser.parse_args()
    print("| workers | images | train images | train imgs/id | wall s | ms/image | target s |")
    print("|--:|--:|--:|--:|--:|--:|--:|")
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as root:
            start = time.perf_counter()
            folder = ensure_dataset(root, MARKET_SIZED, "target", workers=workers)
            seconds = time.perf_counter() - start
            counts = json.loads((folder / "spec.json").read_text())["images"]
        total = sum(counts.values())
        train = counts["bounding_box_train"]
        print(f"| {workers} | {total} | {train} | {train / MARKET_SIZED.num_train_ids:.1f} | {seconds:.1f} | "
              f"{1000 * seconds / total:.2f} | {TARGET_SECONDS:.0f} |", flush=True)


if __name__ == "__main__":
    main()
