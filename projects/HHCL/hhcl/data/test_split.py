"""The query and gallery of a test set, the way FastReID's test loader reads them."""

from __future__ import annotations

from dataclasses import dataclass

from fastreid.config import CfgNode
from fastreid.data import build as data_build
from fastreid.utils import comm

from .dataset_options import build_dataset
from .errors import EmptyDatasetError


@dataclass(frozen=True)
class TestSplit:
    """(path, identity, camera) items of a test set's query and gallery
    (integer ids and cameras, as FastReID's datasets give them).
    ``has_cameras`` is False when the dataset has no camera information (its
    cameras are all 0): the dataset says so with a ``has_cameras`` attribute,
    FastReID's datasets have cameras."""

    name: str
    query: list[tuple]
    gallery: list[tuple]
    has_cameras: bool = True

    __test__ = False  # not a pytest class


def load_test_split(cfg: CfgNode, name: str) -> TestSplit:
    """The test split of the dataset registered as ``name``, with its
    options from the config; rank 0 logs FastReID's summary table. A split
    without query or gallery images is an :class:`EmptyDatasetError`."""
    dataset = build_dataset(cfg, name)
    for split in ("query", "gallery"):
        if not getattr(dataset, split):
            folder = getattr(dataset, f"{split}_dir", getattr(dataset, "dataset_dir", data_build._root))
            raise EmptyDatasetError(
                f"{name} has no {split} images: {folder} is empty (datasets root {data_build._root}, set by "
                f"FASTREID_DATASETS). Put the dataset's {split} images there, or evaluate on another DATASETS.TESTS.")
    if comm.is_main_process():
        dataset.show_test()
    return TestSplit(name, list(dataset.query), list(dataset.gallery), bool(getattr(dataset, "has_cameras", True)))
