"""The trainer of the methods that learn from pseudo labels."""

from __future__ import annotations

import functools
from typing import Callable

from fastreid.config import CfgNode
from fastreid.data import build_reid_train_loader
from fastreid.data.common import CommDataset
from fastreid.data.samplers import TrainingSampler
from torch.utils.data import DataLoader

from ..data import build_pseudo_label_loader, build_train_transforms, identities_known
from ..labelers import build_labeler, identity_labels
from .baseline_trainer import BaselineTrainer
from .checkpoint import MemoryCheckpointer
from .features import extract_train_features
from .pseudo_label_hook import PseudoLabelHook
from .pseudo_label_log import PseudoLabelLog


class PseudoLabelTrainer(BaselineTrainer):
    """FastReID's ``DefaultTrainer`` for the meta-architectures trained on
    pseudo labels (:class:`hhcl.modeling.PseudoLabelModel`): a fixed number
    of steps per epoch (``SOLVER.ITERS_PER_EPOCH``, with the LR schedule
    built on it), a :class:`PseudoLabelHook` that relabels the train set
    before the epochs it is due, and checkpoints that hold the memory (of any
    size) and the pseudo labels.

    Until the first pseudo labels exist the train loader is a placeholder
    whose every label is 0: ground-truth ids never reach training.
    """

    @classmethod
    def build_lr_scheduler(cls, cfg: CfgNode, optimizer, iters_per_epoch: int):
        return super().build_lr_scheduler(cfg, optimizer, cfg.SOLVER.ITERS_PER_EPOCH)

    def build_train_loader(self, cfg: CfgNode) -> DataLoader:
        unlabelled = [(path, 0, camera) for path, _, camera in self.train_items]
        train_set = CommDataset(unlabelled, build_train_transforms(cfg), relabel=True)
        return build_reid_train_loader(cfg, train_set=train_set, sampler=TrainingSampler(len(train_set), seed=self.seed))

    def build_pseudo_label_hook(self) -> PseudoLabelHook:
        """The hook with its collaborators: train-feature extraction, the
        ``PSEUDO_LABELS.METHOD`` labeler, the pseudo-label loader, the log."""
        cfg = self.cfg
        return PseudoLabelHook(
            extract_features=functools.partial(extract_train_features, items=self.train_items, cfg=cfg),
            labeler=build_labeler(cfg, self.train_items),
            build_loader=functools.partial(build_pseudo_label_loader, cfg, self.train_items),
            log=PseudoLabelLog(identity_labels(self.train_items) if identities_known(self.train_items) else None,
                               cfg.OUTPUT_DIR),
            every_n_epochs=cfg.PSEUDO_LABELS.EVERY_N_EPOCHS, seed=self.seed)

    def build_hooks(self):
        # Called at the end of DefaultTrainer.__init__, before the hooks take
        # their references: the epoch length is set here.
        self.iters_per_epoch = self.cfg.SOLVER.ITERS_PER_EPOCH
        self.max_iter = self.max_epoch * self.iters_per_epoch
        self.pseudo_label_hook = self.build_pseudo_label_hook()
        return [self.pseudo_label_hook] + super().build_hooks()

    checkpointer_class = MemoryCheckpointer  # a checkpointed memory of any size loads

    def build_checkpointer(self, **checkpointables) -> MemoryCheckpointer:
        return super().build_checkpointer(pseudo_labels=self.pseudo_label_hook, **checkpointables)

    def reset_data_loader(self, build: Callable[[], DataLoader], skip_batches: int = 0) -> None:
        """Train on the loader ``build()`` returns from the next step on,
        past its first ``skip_batches`` batches (drawn and dropped: a resumed
        run goes on where the checkpointed one was); the current loader is
        stopped before ``build`` runs (so it may seed)."""
        self.stop_data_loader()
        loader = build()
        batches = iter(loader)
        for _ in range(skip_batches):
            next(batches)
        self._trainer.data_loader = loader
        self._trainer._data_loader_iter = batches
