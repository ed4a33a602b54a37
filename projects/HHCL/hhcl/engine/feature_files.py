"""Features of a trained model over a folder of images or a dataset split,
written to one ``.npz`` file (``tools/extract_features.py``).

The file holds ``features`` (N×d float32, L2-normalised rows, in ``paths``
order), ``paths`` (the images, as strings) and, where the images' identities
and cameras are known (a dataset split), ``ids`` and ``cameras``. Read it
with ``numpy.load(path)``; no pickling is involved.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from fastreid.config import CfgNode

from ..data import build_dataset, identities_known
from ..data.folder import IMAGE_EXTENSIONS
from .features import build_inference_loader, extract_features

logger = logging.getLogger(__name__)

SPLITS = ("query", "gallery", "train")


@dataclass(frozen=True)
class ImageSet:
    """(path, identity, camera) items to extract, and whether their
    identities and cameras are known (written to the file only then)."""

    description: str
    items: list[tuple]
    ids_known: bool
    cameras_known: bool


def folder_images(folder: str | os.PathLike) -> ImageSet:
    """Every image under ``folder`` (sub-folders included, hidden ones
    skipped; .jpg, .jpeg, .png, .bmp in any case), sorted by path; no
    identity or camera."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of images")
    paths = sorted(str(path) for path in folder.rglob("*")
                   if path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file()
                   and not any(part.startswith(".") for part in path.relative_to(folder).parts))
    if not paths:
        raise FileNotFoundError(f"No image ({', '.join(IMAGE_EXTENSIONS)}) in {folder} or its sub-folders")
    return ImageSet(f"{folder} images", [(path, -1, -1) for path in paths], ids_known=False, cameras_known=False)


def dataset_split(cfg: CfgNode, name: str, split: str) -> ImageSet:
    """The ``query``, ``gallery`` or ``train`` images of the dataset
    registered as ``name``, read with the config's dataset options (as
    training and evaluation read it), with their identities and cameras
    where the dataset knows them (FastReID's train ids and cameras are
    strings prefixed with the dataset name)."""
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}: one of {', '.join(SPLITS)}")
    dataset = build_dataset(cfg, name)
    items = list(getattr(dataset, split))
    if not items:
        raise ValueError(f"{name} has no {split} images")
    return ImageSet(f"{name} {split}", items, ids_known=identities_known(items),
                    cameras_known=bool(getattr(dataset, "has_cameras", True)))


def extract_to_file(model: torch.nn.Module, cfg: CfgNode, images: ImageSet, output: str | os.PathLike) -> Path:
    """Features of ``images`` under ``model`` (test transforms of ``cfg``,
    eval mode, progress lines), L2-normalised, written to ``output`` (.npz;
    folders created). Returns the path written."""
    loader = build_inference_loader(cfg, images.items)
    extracted = extract_features(model, loader, description=images.description)
    arrays = {"features": torch.nn.functional.normalize(extracted.features, dim=1).numpy().astype(np.float32),
              "paths": np.asarray(extracted.paths, dtype=str)}
    if images.ids_known:
        arrays["ids"] = _plain(extracted.ids)
    if images.cameras_known:
        arrays["cameras"] = _plain(extracted.cameras)
    output = Path(output)
    if output.suffix != ".npz":
        output = output.with_name(output.name + ".npz")  # what np.savez would write
    output.parent.mkdir(parents=True, exist_ok=True)
    np.savez(output, **arrays)
    logger.info(f"Wrote {output}: {len(extracted.paths)} images, {arrays['features'].shape[1]}-d features"
                f"{', ids' if 'ids' in arrays else ''}{', cameras' if 'cameras' in arrays else ''}")
    return output


def _plain(values: Sequence) -> np.ndarray:
    """Integers stay integers; anything else becomes strings (never an object array)."""
    array = np.asarray(values)
    return array if array.dtype.kind in "iu" else array.astype(str)
