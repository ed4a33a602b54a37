"""Features of a data set under a model: the one extraction loop of the
pseudo-label step and the tools."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import torch
from fastreid.config import CfgNode
from fastreid.data import build_reid_test_loader
from fastreid.data.common import CommDataset
from fastreid.data.transforms import build_transforms
from fastreid.utils import comm

logger = logging.getLogger(__name__)

PROGRESS_EVERY_S = 10.0


@dataclass
class ExtractedFeatures:
    """What a loader's batches hold, in loader order."""

    features: torch.Tensor      # N×d float32, on the CPU (with keep_on_device, where the model put them)
    ids: np.ndarray             # the batches' ``targets`` (numbers or names)
    cameras: np.ndarray         # the batches' ``camids`` (numbers or names)
    paths: list[str]


@torch.no_grad()
def extract_features(model: torch.nn.Module, loader: Iterable[dict], description: str = "features",
                     num_batches: int | None = None, keep_on_device: bool = False) -> ExtractedFeatures:
    """Run ``model`` in eval mode (its mode is restored) over every batch of
    ``loader`` (FastReID's batch dicts), with a progress line every
    ``PROGRESS_EVERY_S`` seconds. The features are moved to the CPU unless
    ``keep_on_device``."""
    num_batches = num_batches if num_batches is not None else len(loader)
    was_training = model.training
    model.eval()
    features, ids, cameras, paths = [], [], [], []
    last_report = time.perf_counter()
    try:
        for index, batch in enumerate(loader):
            output = model(batch).float()
            features.append(output if keep_on_device else output.cpu())
            ids.append(batch["targets"])
            cameras.append(batch["camids"])
            paths += list(batch["img_paths"])
            if time.perf_counter() - last_report >= PROGRESS_EVERY_S and index + 1 < num_batches:
                logger.info(f"Extracting {description}: {index + 1}/{num_batches} batches")
                last_report = time.perf_counter()
    finally:
        model.train(was_training)
    return ExtractedFeatures(torch.cat(features), np.concatenate([np.asarray(i) for i in ids]),
                             np.concatenate([np.asarray(c) for c in cameras]), paths)


def build_inference_loader(cfg: CfgNode, items: Sequence[tuple]):
    """FastReID's test loader over (path, identity, camera) ``items``, in
    item order: test transforms (``INPUT.SIZE_TEST``), ``TEST.IMS_PER_BATCH``,
    ``DATALOADER.NUM_WORKERS``; under ``torch.distributed``, each rank's
    contiguous shard."""
    dataset = CommDataset(items, build_transforms(cfg, is_train=False), relabel=False)
    loader, _ = build_reid_test_loader(test_set=dataset, test_batch_size=cfg.TEST.IMS_PER_BATCH, num_query=0,
                                       num_workers=cfg.DATALOADER.NUM_WORKERS)
    return loader


def extract_train_features(model: torch.nn.Module, items: Sequence[tuple], cfg: CfgNode) -> torch.Tensor:
    """L2-normalised features of every train item (test transforms), in item
    order, on every process, on the model's device (the pseudo-label step
    searches the k-NN there): under ``torch.distributed`` each rank extracts
    its contiguous shard with rank 0's buffers (BatchNorm statistics) and the
    shards are gathered."""
    loader = build_inference_loader(cfg, items)
    if comm.get_world_size() > 1:
        # FastReID's DDP does not broadcast buffers: give every rank rank 0's.
        for buffer in model.buffers():
            torch.distributed.broadcast(buffer, src=0)
    features = extract_features(model, loader, description="train features", keep_on_device=True).features
    if comm.get_world_size() > 1:  # FastReID's InferenceSampler gives each rank a contiguous shard
        # comm.all_gather pickles: the shards travel on the CPU and come back to this rank's device.
        features = torch.cat(comm.all_gather(features.cpu())).to(features.device)
    return torch.nn.functional.normalize(features, dim=1)
