"""The train items of a config's datasets, the way FastReID's loader reads them."""

from __future__ import annotations

from fastreid.config import CfgNode
from fastreid.data import build as data_build
from fastreid.utils import comm

from .dataset_options import build_dataset
from .errors import EmptyDatasetError


def load_train_items(cfg: CfgNode) -> list[tuple]:
    """(path, identity, camera) of every train image of ``DATASETS.NAMES``.
    The identities are ground truth: unsupervised training only logs them
    (an image without one has an :class:`~hhcl.data.UnknownIdentity`).
    A dataset without train images is an :class:`EmptyDatasetError`."""
    items = []
    for name in cfg.DATASETS.NAMES:
        dataset = build_dataset(cfg, name, combineall=cfg.DATASETS.COMBINEALL)
        if not dataset.train:
            folder = getattr(dataset, "train_dir", getattr(dataset, "dataset_dir", data_build._root))
            raise EmptyDatasetError(
                f"{name} has no train images: {folder} is empty (datasets root {data_build._root}, set by "
                f"FASTREID_DATASETS). Put the dataset's train images there, or train on another DATASETS.NAMES.")
        if comm.is_main_process():
            dataset.show_train()
        items.extend(dataset.train)
    return items
