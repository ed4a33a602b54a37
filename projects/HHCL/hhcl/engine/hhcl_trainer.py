"""The trainer of the unsupervised methods."""

from __future__ import annotations

import numpy as np
import torch
from fastreid.config import CfgNode
from fastreid.data import build_reid_train_loader
from fastreid.data.common import CommDataset
from fastreid.data.samplers import TrainingSampler
from fastreid.utils.env import seed_all_rng

from ..data import build_train_transforms, load_train_items
from .baseline_trainer import BaselineTrainer
from .checkpoint import MemoryCheckpointer
from .pseudo_label_hook import PseudoLabelHook


class HHCLTrainer(BaselineTrainer):
    """FastReID's ``DefaultTrainer`` for clustering-based training: a fixed
    number of steps per epoch (``HHCL.ITERS_PER_EPOCH``, with the LR schedule
    built on it), a :class:`PseudoLabelHook` that relabels the train set and
    swaps the train loader before the epochs it is due, and checkpoints that
    hold the memory (of any size) and the pseudo labels.

    Until the first pseudo labels exist the train loader is a placeholder
    whose every label is 0: ground-truth ids never reach training.
    """

    def __init__(self, cfg: CfgNode):
        self.seed = cfg.HHCL.SEED if cfg.HHCL.SEED >= 0 else int(np.random.randint(2**31))
        seed_all_rng(self.seed)
        self.train_items = load_train_items(cfg)
        super().__init__(cfg)

    @classmethod
    def build_model(cls, cfg: CfgNode) -> torch.nn.Module:
        """FastReID's model; with ``HHCL.SEED`` ≥ 0 its random initialisation
        is seeded, so ``--eval-only`` without weights evaluates exactly the
        model a training run starts from."""
        if cfg.HHCL.SEED >= 0:
            seed_all_rng(cfg.HHCL.SEED)
        return super().build_model(cfg)

    @classmethod
    def build_lr_scheduler(cls, cfg: CfgNode, optimizer, iters_per_epoch: int):
        return super().build_lr_scheduler(cfg, optimizer, cfg.HHCL.ITERS_PER_EPOCH)

    def build_train_loader(self, cfg: CfgNode):
        unlabelled = [(path, 0, camera) for path, _, camera in self.train_items]
        train_set = CommDataset(unlabelled, build_train_transforms(cfg), relabel=True)
        return build_reid_train_loader(cfg, train_set=train_set, sampler=TrainingSampler(len(train_set), seed=self.seed))

    def build_hooks(self):
        # Called at the end of DefaultTrainer.__init__, before the hooks take
        # their references: the epoch length is set here.
        self.iters_per_epoch = self.cfg.HHCL.ITERS_PER_EPOCH
        self.max_iter = self.max_epoch * self.iters_per_epoch
        self.pseudo_label_hook = PseudoLabelHook(self.cfg, self.train_items, self.seed)
        return [self.pseudo_label_hook] + super().build_hooks()

    checkpointer_class = MemoryCheckpointer  # a checkpointed memory of any size loads

    def build_checkpointer(self, **checkpointables) -> MemoryCheckpointer:
        return super().build_checkpointer(pseudo_labels=self.pseudo_label_hook, **checkpointables)

    def stop_train_loader(self) -> None:
        """Stop the current train loader's prefetch thread (idempotent): it
        draws augmentations from the global RNGs while it runs."""
        loader = self._trainer.data_loader
        if hasattr(loader, "iter"):
            loader.shutdown()

    def set_train_loader(self, loader) -> None:
        """Train on ``loader`` from the next step on (the old one is shut down)."""
        self.stop_train_loader()
        self._trainer.data_loader = loader
        self._trainer._data_loader_iter = iter(loader)
