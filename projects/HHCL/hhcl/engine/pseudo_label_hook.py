"""The hook that decides when the train set is relabelled."""

from __future__ import annotations

import logging
import time
from typing import Callable

import numpy as np
import torch
from fastreid.engine.train_loop import HookBase
from fastreid.utils import comm
from torch.utils.data import DataLoader

from ..labelers import Labeler, label_on_all_ranks
from .pseudo_label_log import PseudoLabelLog

logger = logging.getLogger(__name__)


class PseudoLabelHook(HookBase):
    """Before every ``every_n_epochs``-th epoch (and before the first):
    ``extract_features(model)`` of the whole train set, ``labeler`` (on rank
    0; every rank takes its labels), the model told through
    ``set_pseudo_labels`` (HHCL rebuilds its memory there), and the trainer
    given ``build_loader(labels, seed)`` through ``reset_data_loader``.

    A labeling with fewer than two clusters stops the first update with the
    labeler's advice; later it is skipped with a warning, keeping the
    previous labels. State (the current labels and their epoch) is
    checkpointed; on resume the labels are reused unless the model could
    not restore what they need (``has_pseudo_label_state``), and training
    goes on with their loader (seeded by their epoch) past the batches the
    checkpointed run had drawn from it: a run resumed at any step, epoch
    boundary or not, sees the batches of a run never stopped.

    The trainer provides ``model``, ``epoch``, ``start_epoch``,
    ``start_iter``, ``iters_per_epoch``, ``storage``,
    ``reset_data_loader(build, skip_batches)`` and ``stop_data_loader()``.
    """

    def __init__(self, *, extract_features: Callable[[torch.nn.Module], torch.Tensor], labeler: Labeler,
                 build_loader: Callable[[np.ndarray, int], DataLoader], log: PseudoLabelLog, every_n_epochs: int = 1,
                 seed: int = 0):
        self.extract_features = extract_features
        self.labeler = labeler
        self.build_loader = build_loader
        self.log = log
        self.every_n_epochs = every_n_epochs
        self.seed = seed
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
        if self.labels is None or self._relabels(epoch):
            return  # before_epoch relabels
        if not self._model().has_pseudo_label_state():
            logger.warning(f"The checkpoint does not hold the model's pseudo-label state: relabelling at "
                           f"epoch {epoch}")
            self.update(epoch)
            return
        # The loader of the labels' epoch, at the batch the checkpointed run had reached.
        done = self.trainer.start_iter - self.labelled_epoch * self.trainer.iters_per_epoch
        logger.info(f"Resuming at iteration {self.trainer.start_iter} with the pseudo labels of epoch "
                    f"{self.labelled_epoch} and the checkpointed model ({done} batches of their loader done)")
        self._reset_loader(self.labels, self.labelled_epoch, skip_batches=done)

    def before_epoch(self) -> None:
        epoch = self.trainer.epoch
        if self.labels is None or self._relabels(epoch):
            self.update(epoch)

    def after_train(self) -> None:
        self.trainer.stop_data_loader()

    # ------------------------------------------------------------------ work
    def update(self, epoch: int) -> None:
        """Relabel the train set now, as before ``epoch``: the features stay
        on the model's device for the k-NN search, which every process shares
        under ``torch.distributed`` (each its own rows); process 0 clusters
        and every process takes its labels (:func:`~hhcl.labelers.label_on_all_ranks`)."""
        start = time.perf_counter()
        features = self.extract_features(self.trainer.model)
        extracted = time.perf_counter()
        labels = label_on_all_ranks(self.labeler, features, self.labels)
        clustered = time.perf_counter()
        num_clusters = int(labels.max(initial=-1)) + 1
        if num_clusters < 2:
            found = ("no cluster (all images are outliers)" if num_clusters == 0 else
                     f"a single cluster ({int((labels >= 0).sum())} images, the rest outliers)")
            advice = self.labeler.advice(num_clusters)
            if self.labels is None:
                raise RuntimeError(f"Epoch {epoch}: the clustering found {found} among {labels.size} images, so "
                                   f"there is nothing to contrast. {advice}")
            logger.warning(f"Epoch {epoch}: the clustering found {found}; keeping the pseudo labels and model "
                           f"state of epoch {self.labelled_epoch}. {advice}")
            return
        self.labels, self.labelled_epoch = labels, epoch
        self._model().set_pseudo_labels(features, labels, torch.Generator().manual_seed(self.seed + epoch))
        self._reset_loader(labels, epoch)
        if comm.is_main_process():  # the writers and the console are rank 0's
            self.log.record(self.trainer.storage, epoch, labels, extract_s=extracted - start,
                            cluster_s=clustered - extracted)

    def _relabels(self, epoch: int) -> bool:
        """Whether the labels are due before ``epoch`` and not yet made for
        it (a run resumed mid-epoch has them)."""
        return epoch % self.every_n_epochs == 0 and self.labelled_epoch != epoch

    def _reset_loader(self, labels: np.ndarray, epoch: int, skip_batches: int = 0) -> None:
        self.trainer.reset_data_loader(lambda: self.build_loader(labels, self.seed + epoch), skip_batches)

    def _model(self) -> torch.nn.Module:
        model = self.trainer.model
        return model.module if hasattr(model, "module") else model
