"""Writing a synthetic dataset to disk in Market-1501 layout, once per spec.

Layout under ``<root>/synthetic/<variant>-<fingerprint>/``::

    bounding_box_train/0001_c1s1_000001_00.jpg    train identities
    query/...                                      one image per test identity and camera
    bounding_box_test/...                          the other test images (gallery)
    spec.json                                      the spec, variant and image counts

Every image has its own random stream (seed, variant, identity, camera,
index), so the files do not depend on the number of worker processes, and
the same spec gives byte-identical files. The folder is written under a
temporary name and renamed when complete: an interrupted generation leaves
no half-written dataset behind.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from .render import render_image
from .spec import SyntheticSpec
from .world import Camera, Identity, sample_cameras, sample_identities, variant_code

logger = logging.getLogger(__name__)

TRAIN_DIR, QUERY_DIR, GALLERY_DIR = "bounding_box_train", "query", "bounding_box_test"
JPEG_QUALITY = 92


@dataclasses.dataclass(frozen=True)
class PlannedImage:
    """One image to render: who, which camera, which shot, and where it goes."""

    split: str
    pid: int
    camera: int  # 1-based, as in Market-1501 names
    shot: int
    file_name: str


def plan_images(spec: SyntheticSpec, variant: str) -> list[PlannedImage]:
    """Every image of the dataset. Identity ``pid`` is seen by a random subset
    of 2..C cameras, ``images_per_camera`` times each; for test identities the
    first shot of each camera is the query, the others go to the gallery."""
    rng = np.random.default_rng([spec.seed, variant_code(variant), 3])
    frames = [0] * (spec.num_cameras + 1)
    planned = []
    for pid in range(1, spec.num_train_ids + spec.num_test_ids + 1):
        n_cameras = int(rng.integers(2, spec.num_cameras + 1))
        cameras = sorted(int(c) + 1 for c in rng.choice(spec.num_cameras, n_cameras, replace=False))
        for camera in cameras:
            for shot in range(spec.images_per_camera):
                if pid <= spec.num_train_ids:
                    split = TRAIN_DIR
                else:
                    split = QUERY_DIR if shot == 0 else GALLERY_DIR
                frames[camera] += 1
                name = f"{pid:04d}_c{camera}s1_{frames[camera]:06d}_00.jpg"
                planned.append(PlannedImage(split, pid, camera, shot, name))
    return planned


def render_planned(spec: SyntheticSpec, variant: str, image: PlannedImage) -> np.ndarray:
    """The pixels of one planned image (uint8, H × W × 3)."""
    identities, cameras = _world(spec, variant)
    rng = np.random.default_rng([spec.seed, variant_code(variant), 4, image.pid, image.camera, image.shot])
    return render_image(identities[image.pid - 1], cameras[image.camera - 1], spec.difficulty,
                        spec.image_size, rng)


@functools.lru_cache(maxsize=4)
def _world(spec: SyntheticSpec, variant: str) -> tuple[list[Identity], list[Camera]]:
    return sample_identities(spec, variant), sample_cameras(spec, variant)


def _write_chunk(spec: SyntheticSpec, variant: str, images: list[PlannedImage], folder: str) -> int:
    for image in images:
        pixels = render_planned(spec, variant, image)
        Image.fromarray(pixels).save(os.path.join(folder, image.split, image.file_name),
                                     quality=JPEG_QUALITY)
    return len(images)


def dataset_folder(root: str | os.PathLike, spec: SyntheticSpec, variant: str) -> Path:
    """Where the dataset of ``spec`` lives under the datasets root."""
    return Path(root) / "synthetic" / f"{variant}-{spec.fingerprint(variant)}"


def ensure_dataset(root: str | os.PathLike, spec: SyntheticSpec, variant: str,
                   workers: int | None = None) -> Path:
    """Generate the dataset unless it is already cached; return its folder."""
    folder = dataset_folder(root, spec, variant)
    if (folder / "spec.json").is_file():
        return folder
    planned = plan_images(spec, variant)
    workers = workers or min(4, os.cpu_count() or 1)
    logger.info(f"Generating synthetic {variant} dataset ({len(planned)} images, {workers} "
                f"process(es)) into {folder}")
    start = time.perf_counter()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".{folder.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    for split in (TRAIN_DIR, QUERY_DIR, GALLERY_DIR):
        (staging / split).mkdir(parents=True)
    try:
        chunks = [planned[i:i + 500] for i in range(0, len(planned), 500)]
        done = 0
        if workers == 1 or len(chunks) == 1:
            for chunk in chunks:
                done += _write_chunk(spec, variant, chunk, str(staging))
                logger.info(f"  {done}/{len(planned)} images")
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                futures = [pool.submit(_write_chunk, spec, variant, chunk, str(staging)) for chunk in chunks]
                for future in futures:
                    done += future.result()
                    logger.info(f"  {done}/{len(planned)} images")
        counts = {split: sum(image.split == split for image in planned)
                  for split in (TRAIN_DIR, QUERY_DIR, GALLERY_DIR)}
        manifest = {"variant": variant, "spec": dataclasses.asdict(spec), "images": counts}
        (staging / "spec.json").write_text(json.dumps(manifest, indent=2))
        try:
            staging.rename(folder)
        except OSError:
            if not (folder / "spec.json").is_file():
                raise
            shutil.rmtree(staging)  # another process finished the same dataset first
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info(f"Generated {len(planned)} images in {time.perf_counter() - start:.1f} s")
    return folder
