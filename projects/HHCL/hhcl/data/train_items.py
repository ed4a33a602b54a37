"""The train items of a config's datasets, the way FastReID's loader reads them."""

from __future__ import annotations

from fastreid.config import CfgNode
from fastreid.data import build as data_build
from fastreid.data.datasets import DATASET_REGISTRY
from fastreid.utils import comm

from .synthetic_config import dataset_kwargs


def load_train_items(cfg: CfgNode) -> list[tuple]:
    """(path, identity, camera) of every train image of ``DATASETS.NAMES``.
    The identities are ground truth: unsupervised training only logs them."""
    items = []
    for name in cfg.DATASETS.NAMES:
        dataset = DATASET_REGISTRY.get(name)(root=data_build._root, combineall=cfg.DATASETS.COMBINEALL,
                                             **dataset_kwargs(cfg, [name]))
        if comm.is_main_process():
            dataset.show_train()
        items.extend(dataset.train)
    if not items:
        raise ValueError(f"The datasets {cfg.DATASETS.NAMES} have no train images")
    return items
