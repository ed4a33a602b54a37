"""The pseudo-label hook: DESIGN "Data flow of one epoch", steps 1–4."""

from __future__ import annotations

import json
import logging
import os
import time

import numpy as np
import torch
from fastreid.config import CfgNode
from fastreid.data import build_reid_test_loader, build_reid_train_loader
from fastreid.data.common import CommDataset
from fastreid.data.transforms import build_transforms
from fastreid.engine.train_loop import HookBase
from fastreid.utils import comm
from fastreid.utils.env import seed_all_rng

from ..clustering import agglomerative, jaccard_dbscan, pseudo_label_quality
from ..data import CameraAwareIdentitySampler, build_train_transforms

logger = logging.getLogger(__name__)

METHODS = ("dbscan", "agglomerative", "ground_truth")
PROGRESS_EVERY_S = 10.0


class PseudoLabelHook(HookBase):
    """Before every ``HHCL.PSEUDO.EVERY_N_EPOCHS``-th epoch: extract the
    L2-normalised features of the whole train set (test transforms, eval
    mode), cluster them (``HHCL.PSEUDO.METHOD``), drop the outliers, reset
    the model's memory and give the trainer a new loader over the
    pseudo-labelled images (camera-aware PK sampling).

    Under ``torch.distributed`` the ranks extract their shards, gather all
    features, rank 0 clusters and every rank takes its labels, so memories
    and loaders agree; each rank's sampler yields its slice of the global batch.

    The ground-truth identities of the train items are used only to log the
    pseudo-label quality, except with ``METHOD ground_truth`` (the supervised
    upper bound). Its state (the current pseudo labels) is checkpointed; the
    quality of every update is also appended to ``OUTPUT_DIR/pseudo_labels.jsonl``.
    """

    def __init__(self, cfg: CfgNode, train_items: list[tuple], seed: int):
        if cfg.HHCL.PSEUDO.METHOD not in METHODS:
            raise ValueError(f"Unknown HHCL.PSEUDO.METHOD {cfg.HHCL.PSEUDO.METHOD!r}; choose one of "
                             f"{', '.join(METHODS)}")
        self.cfg = cfg
        self.items = train_items
        self.seed = seed
        _, self.true_ids = np.unique(np.array([str(item[1]) for item in train_items]), return_inverse=True)
        self.labels: np.ndarray | None = None
        self.labelled_epoch = -1

    # ------------------------------------------------------------ checkpoint
    def state_dict(self) -> dict:
        labels = torch.as_tensor(self.labels if self.labels is not None else np.empty(0, np.int64))
        return {"labels": labels, "epoch": self.labelled_epoch}

    def load_state_dict(self, state: dict) -> None:
        labels = state["labels"].numpy()
        self.labels = labels if labels.size else None
        self.labelled_epoch = int(state["epoch"])

    # ----------------------------------------------------------------- hooks
    def before_train(self) -> None:
        epoch = self.trainer.start_epoch
        if self.labels is None or epoch % self.cfg.HHCL.PSEUDO.EVERY_N_EPOCHS == 0:
            return  # before_epoch clusters
        memory = self._memory()
        if memory is not None and not bool(memory.initialized):
            logger.warning(f"The checkpointed memory cannot be used: clustering again at epoch {epoch}")
            self.update(epoch)
            return
        logger.info(f"Resuming with the pseudo labels of epoch {self.labelled_epoch} and the checkpointed memory")
        self._install_loader(epoch)

    def before_epoch(self) -> None:
        epoch = self.trainer.epoch
        if epoch % self.cfg.HHCL.PSEUDO.EVERY_N_EPOCHS == 0 or self.labels is None:
            self.update(epoch)

    def after_train(self) -> None:
        self.trainer.stop_train_loader()

    # ------------------------------------------------------------------ work
    def update(self, epoch: int) -> None:
        start = time.perf_counter()
        features = self.extract_features()
        extracted = time.perf_counter()
        labels = self.cluster(features) if comm.is_main_process() else None
        if comm.get_world_size() > 1:  # every rank trains on rank 0's pseudo labels
            labels = comm.all_gather(labels)[0]
        clustered = time.perf_counter()
        num_clusters = int(labels.max(initial=-1)) + 1
        if num_clusters < 2:
            found = ("no cluster (all images are outliers)" if num_clusters == 0 else
                     f"a single cluster ({int((labels >= 0).sum())} images, the rest outliers)")
            if self.labels is None:
                raise RuntimeError(f"Epoch {epoch}: the clustering found {found} among {labels.size} images, so "
                                   f"there is nothing to contrast. {self._clustering_advice(num_clusters)}")
            logger.warning(f"Epoch {epoch}: the clustering found {found}; keeping the pseudo labels and memory "
                           f"of epoch {self.labelled_epoch}. {self._clustering_advice(num_clusters)}")
            return
        self.labels, self.labelled_epoch = labels, epoch
        generator = torch.Generator().manual_seed(self.seed + epoch)
        memory = self._memory()
        if memory is not None:
            memory.reset(features.to(memory.centroids.device), torch.from_numpy(labels), generator=generator)
        self._install_loader(epoch)
        self._log(epoch, labels, extract_s=extracted - start, cluster_s=clustered - extracted)

    @torch.no_grad()
    def extract_features(self) -> torch.Tensor:
        """L2-normalised features of every train image, in item order."""
        cfg = self.cfg
        dataset = CommDataset(self.items, build_transforms(cfg, is_train=False), relabel=False)
        loader, _ = build_reid_test_loader(test_set=dataset, test_batch_size=cfg.TEST.IMS_PER_BATCH, num_query=0,
                                           num_workers=cfg.DATALOADER.NUM_WORKERS)
        model = self.trainer.model
        if comm.get_world_size() > 1:
            # FastReID's DDP does not broadcast buffers: give every rank rank
            # 0's BatchNorm statistics, so all shards are extracted alike.
            for buffer in model.buffers():
                torch.distributed.broadcast(buffer, src=0)
        was_training = model.training
        model.eval()
        features, batches, last_report = [], len(loader), time.perf_counter()
        try:
            for index, batch in enumerate(loader):
                features.append(model(batch).float().cpu())
                if time.perf_counter() - last_report >= PROGRESS_EVERY_S and index + 1 < batches:
                    logger.info(f"Extracting train features: {index + 1}/{batches} batches")
                    last_report = time.perf_counter()
        finally:
            model.train(was_training)
        features = torch.cat(features)
        if comm.get_world_size() > 1:  # FastReID's InferenceSampler gives each rank a contiguous shard
            features = torch.cat(comm.all_gather(features))
        return torch.nn.functional.normalize(features, dim=1)

    def cluster(self, features: torch.Tensor) -> np.ndarray:
        node = self.cfg.HHCL.PSEUDO
        if node.METHOD == "ground_truth":
            return self.true_ids.copy()
        if node.METHOD == "agglomerative":
            return agglomerative(features.numpy(), self.labels, merge_percent=node.MERGE_PERCENT,
                                 linkage=node.LINKAGE, size_penalty=node.SIZE_PENALTY, k=node.KNN,
                                 knn_index=node.KNN_INDEX)
        return jaccard_dbscan(features.numpy(), eps=node.EPS, min_samples=node.MIN_SAMPLES, k1=node.K1, k2=node.K2,
                              knn_index=node.KNN_INDEX)

    def _clustering_advice(self, num_clusters: int) -> str:
        node = self.cfg.HHCL.PSEUDO
        if node.METHOD == "agglomerative":
            return (f"Merge less: lower HHCL.PSEUDO.MERGE_PERCENT (now {node.MERGE_PERCENT}) or run fewer merge "
                    f"stages (SOLVER.MAX_EPOCH / HHCL.PSEUDO.EVERY_N_EPOCHS).")
        if num_clusters == 0:
            return (f"Raise HHCL.PSEUDO.EPS (now {node.EPS}) or lower HHCL.PSEUDO.MIN_SAMPLES (now "
                    f"{node.MIN_SAMPLES}), or start from a better model (MODEL.WEIGHTS).")
        return f"Lower HHCL.PSEUDO.EPS (now {node.EPS}) or raise HHCL.PSEUDO.K1 (now {node.K1})."

    def _install_loader(self, epoch: int) -> None:
        # Augmentations draw from the global RNGs in the loader's prefetch
        # thread: stopping the running loader, then seeding, makes each
        # epoch's stream independent of how far the previous one had run.
        self.trainer.stop_train_loader()
        seed_all_rng(self.seed + epoch)
        items = [(path, int(label), camera) for (path, _, camera), label in zip(self.items, self.labels) if label >= 0]
        train_set = CommDataset(items, build_train_transforms(self.cfg), relabel=True)
        sampler = CameraAwareIdentitySampler(items, self.cfg.DATALOADER.NUM_INSTANCE, seed=self.seed + epoch,
                                             batch_size=self.cfg.SOLVER.IMS_PER_BATCH, rank=comm.get_rank(),
                                             world_size=comm.get_world_size())
        self.trainer.set_train_loader(build_reid_train_loader(self.cfg, train_set=train_set, sampler=sampler))

    def _memory(self) -> torch.nn.Module | None:
        """The model's cluster memory (None for HCT, which has none)."""
        model = self.trainer.model
        return getattr(model.module if hasattr(model, "module") else model, "memory", None)

    def _log(self, epoch: int, labels: np.ndarray, extract_s: float, cluster_s: float) -> None:
        if not comm.is_main_process():  # the writers and the console are rank 0's
            return
        quality = pseudo_label_quality(labels, self.true_ids)
        self.trainer.storage.put_scalars(**{f"pseudo/{k}": v for k, v in quality.items()},
                                         **{"time/extract_s": extract_s, "time/cluster_s": cluster_s},
                                         smoothing_hint=False)
        if self.cfg.OUTPUT_DIR:
            record = {"epoch": epoch, **quality, "extract_s": extract_s, "cluster_s": cluster_s}
            with open(os.path.join(self.cfg.OUTPUT_DIR, "pseudo_labels.jsonl"), "a") as history:
                history.write(json.dumps(record) + "\n")
        logger.info(f"Epoch {epoch} pseudo labels: {quality['num_clusters']} clusters, {quality['num_outliers']} "
                    f"outliers of {labels.size}; precision {quality['pairwise_precision']:.3f}, recall "
                    f"{quality['pairwise_recall']:.3f}, NMI {quality['nmi']:.3f}, ARI {quality['ari']:.3f} "
                    f"(extract {extract_s:.1f} s, cluster {cluster_s:.1f} s)")
