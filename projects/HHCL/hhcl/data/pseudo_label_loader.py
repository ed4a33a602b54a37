"""The train loader over the pseudo-labelled images of one epoch."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from fastreid.config import CfgNode
from fastreid.data import build_reid_train_loader
from fastreid.data.common import CommDataset
from fastreid.utils import comm
from fastreid.utils.env import seed_all_rng
from torch.utils.data import DataLoader

from .samplers import build_train_sampler
from .transforms import build_train_transforms


def build_pseudo_label_loader(cfg: CfgNode, items: Sequence[tuple], labels: np.ndarray, seed: int) -> DataLoader:
    """Train loader over the ``items`` whose pseudo label is not −1, labelled
    with it: P pseudo identities × K (``DATALOADER.NUM_INSTANCE``) images per
    batch from the sampler registered as ``DATALOADER.SAMPLER_TRAIN``, each
    rank its slice of the global batch. ``seed``
    seeds the sampler and the global RNGs its augmentations draw from (call
    it with the previous loader stopped, so nothing else draws from them)."""
    seed_all_rng(seed)
    labelled = [(path, int(label), camera) for (path, _, camera), label in zip(items, labels) if label >= 0]
    train_set = CommDataset(labelled, build_train_transforms(cfg), relabel=True)
    sampler = build_train_sampler(cfg.DATALOADER.SAMPLER_TRAIN, labelled, cfg.DATALOADER.NUM_INSTANCE, seed=seed,
                                  batch_size=cfg.SOLVER.IMS_PER_BATCH, rank=comm.get_rank(),
                                  world_size=comm.get_world_size())
    return build_reid_train_loader(cfg, train_set=train_set, sampler=sampler)
