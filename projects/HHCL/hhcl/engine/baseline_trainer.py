"""FastReID's ``DefaultTrainer`` with the plugin's datasets and evaluator wired in."""

from __future__ import annotations

import logging

import numpy as np
import torch
from fastreid.config import CfgNode
from fastreid.data import build_reid_test_loader, build_reid_train_loader
from fastreid.data.common import CommDataset
from fastreid.data.transforms import build_transforms
from fastreid.engine import DefaultTrainer, hooks
from fastreid.utils import comm
from fastreid.utils.env import seed_all_rng
from fastreid.utils.events import EventStorage

from ..data import TestSplit, build_train_transforms, identities_known, load_test_split, load_train_items
from ..evaluation import ReidEvaluator, check_evaluable, select_protocol, selected_by
from ..modeling import split_batch_norm_
from .best_evaluation import BestEvaluationHook, with_best_evaluation
from .checkpoint import AtomicCheckpointer
from .preemption import StopSignals
from .writer_hook import with_epoch_end_writer

logger = logging.getLogger(__name__)

#: The checkpoint a run stopped by a signal writes (``{name}.pth``).
INTERRUPTED_CHECKPOINT = "model_interrupted"


class BaselineTrainer(DefaultTrainer):
    """Trains stock FastReID configs (``Baseline`` meta-architecture and any
    other registered one) exactly as ``DefaultTrainer`` does, passing the
    datasets' options from the config (:func:`~hhcl.data.dataset_kwargs`) to
    the dataset constructors,
    and evaluates with the plugin's :class:`~hhcl.evaluation.ReidEvaluator`
    (FastReID's metrics, vectorised; re-ranking on CPU). Its periodic writer
    is :class:`~hhcl.engine.writer_hook.EpochEndPeriodicWriter`, so every
    evaluation reaches metrics.json and TensorBoard.

    The train items (``train_items``) are loaded first, so a missing train
    dataset is named before anything else is built. Each test set is scored
    under the protocol ``TEST.PROTOCOL`` gives it (docs/DESIGN.md,
    "Your own data"); that it can be (some query has a true match) is checked
    when the trainer is built, before the first epoch.

    ``SEED`` ≥ 0 seeds every random stream of the run (initialisation,
    sampler, augmentation), so two runs of one config train the same model;
    -1 draws a seed, kept in ``seed``."""

    def __init__(self, cfg: CfgNode):
        # FastReID's default_setup seeds with a random seed before this
        self.seed = cfg.SEED if cfg.SEED >= 0 else int(np.random.randint(2**31))
        seed_all_rng(self.seed)
        source = "SEED" if cfg.SEED >= 0 else "drawn: SEED is -1"
        logger.info(f"Every random stream seeded with {self.seed} ({source}), in place of FastReID's generated seed")
        self.train_items = load_train_items(cfg)
        for dataset_name in cfg.DATASETS.TESTS:  # fail now, before the model and loaders are built
            self.evaluation_protocol(cfg, load_test_split(cfg, dataset_name))
        super().__init__(cfg)

    def stop_data_loader(self) -> None:
        """Stop the current train loader's prefetch thread (idempotent): it
        draws augmentations from the global RNGs while it runs."""
        loader = self._trainer.data_loader
        if hasattr(loader, "iter"):
            loader.shutdown()

    def build_train_loader(self, cfg: CfgNode) -> torch.utils.data.DataLoader:
        """The labelled train loader over ``train_items``."""
        return self.build_labelled_train_loader(cfg, self.train_items)

    @staticmethod
    def build_labelled_train_loader(cfg: CfgNode, items: list[tuple]) -> torch.utils.data.DataLoader:
        """FastReID's train loader (its sampler from ``DATALOADER.SAMPLER_TRAIN``)
        over ``items`` from :func:`~hhcl.data.load_train_items` (which names an
        empty dataset instead of letting the identity sampler wait forever).
        Supervised training needs true identities: images without raise
        ``ValueError``."""
        if not identities_known(items):
            raise ValueError(f"{cfg.MODEL.META_ARCHITECTURE} trains on identity labels, but the train images of "
                             f"{', '.join(cfg.DATASETS.NAMES)} have none (DATASETS.FOLDER.TRAIN_ID_FROM none): give "
                             f"them identities, or train an unsupervised method (configs/HHCL/folder.yml).")
        train_set = CommDataset(items, build_train_transforms(cfg), relabel=True)
        return build_reid_train_loader(cfg, train_set=train_set)

    @classmethod
    def build_test_loader(cls, cfg: CfgNode, dataset_name: str | TestSplit):
        """FastReID's test loader over ``dataset_name`` (or an already loaded
        split; datasets get their options from the config) and
        ``DATALOADER.NUM_WORKERS`` workers: ``DefaultTrainer``'s always starts
        4 (see docs/COMPAT.md). Returns (loader, number of queries)."""
        split = dataset_name if isinstance(dataset_name, TestSplit) else load_test_split(cfg, dataset_name)
        test_set = CommDataset(split.query + split.gallery, build_transforms(cfg, is_train=False), relabel=False)
        return build_reid_test_loader(test_set=test_set, test_batch_size=cfg.TEST.IMS_PER_BATCH,
                                      num_query=len(split.query), num_workers=cfg.DATALOADER.NUM_WORKERS)

    @staticmethod
    def evaluation_protocol(cfg: CfgNode, split: TestSplit) -> str:
        """The protocol ``TEST.PROTOCOL`` gives ``split``, logged; a split
        that cannot be scored under it raises ``ValueError`` saying what to do."""
        protocol = select_protocol(cfg.TEST.PROTOCOL, split.has_cameras)
        reason = selected_by(cfg.TEST.PROTOCOL, split.has_cameras)
        check_evaluable(split.name, split.query, split.gallery, protocol, reason)
        return protocol

    @classmethod
    def build_model(cls, cfg: CfgNode) -> torch.nn.Module:
        """FastReID's model, with BatchNorm over chunks when ``MODEL.BN_CHUNK_SIZE``
        > 0; with ``SEED`` ≥ 0 its random initialisation is seeded, so
        ``--eval-only`` without weights evaluates exactly the model a training
        run starts from."""
        if cfg.SEED >= 0:
            seed_all_rng(cfg.SEED)
        model = super().build_model(cfg)
        if cfg.MODEL.BN_CHUNK_SIZE:
            layers = split_batch_norm_(model, cfg.MODEL.BN_CHUNK_SIZE)
            logging.getLogger(__name__).info(f"BatchNorm statistics over chunks of {cfg.MODEL.BN_CHUNK_SIZE} "
                                             f"samples in {layers} layers")
        return model

    def before_epoch(self):
        # What hooks record before an epoch belongs to its first step, as
        # FastReID does for before_step and after_train: the storage would
        # still point at the previous epoch's last step, already written.
        self.storage.iter = self.iter
        super().before_epoch()

    def resume_or_load(self, resume: bool = True) -> None:
        """``DefaultTrainer.resume_or_load``; a checkpoint written mid-epoch
        (on a stop signal, :meth:`train`) also gives the iteration to go on at."""
        checkpoint = self.checkpointer.resume_or_load(self.cfg.MODEL.WEIGHTS, resume=resume)
        self.resume_iter = None
        if resume and self.checkpointer.has_checkpoint():
            self.start_epoch = checkpoint.get("epoch", -1) + 1
            self.resume_iter = checkpoint.get("iteration")

    def train(self):
        """``DefaultTrainer.train``, stoppable and with clearer failures.

        SIGTERM or SIGINT (:class:`~hhcl.engine.preemption.StopSignals`)
        ends the current step, writes the checkpoint
        ``model_interrupted`` with the iteration reached, and returns None
        with ``stopped_by`` naming the signal; ``--resume`` goes on from that
        step. A NaN/inf loss (FastReID stops before the optimizer step) also
        names the last good checkpoint to resume from."""
        try:
            with StopSignals() as signals:
                self._train_epochs(signals)
        except FloatingPointError as error:
            if self.checkpointer.has_checkpoint():
                advice = (f"The last good checkpoint is {self.checkpointer.get_checkpoint_file()}: continue from "
                          f"it with --resume (a lower SOLVER.BASE_LR may avoid the divergence).")
            else:
                advice = "No checkpoint was written before it (SOLVER.CHECKPOINT_PERIOD)."
            raise FloatingPointError(f"{error}\n{advice}") from error
        if self.stopped_by is not None or not comm.is_main_process():
            return None
        if not hasattr(self, "_last_eval_results"):
            raise RuntimeError("No evaluation results obtained during training (TEST.EVAL_PERIOD)")
        return self._last_eval_results

    def _train_epochs(self, signals: StopSignals) -> None:
        """FastReID's epoch loop (``TrainerBase.train``) from ``start_epoch``,
        starting mid-epoch at a resumed iteration, and stopping after any
        step at which ``signals`` has a request."""
        self.stopped_by = None
        resume_iter = getattr(self, "resume_iter", None)
        self.iter = self.start_iter = resume_iter if resume_iter is not None else self.start_epoch * self.iters_per_epoch
        logger.info(f"Starting training from epoch {self.start_epoch}, iteration {self.start_iter}")
        with EventStorage(self.start_iter) as self.storage:
            try:
                self.before_train()
                for self.epoch in range(self.start_epoch, self.max_epoch):
                    self.before_epoch()
                    while self.iter < (self.epoch + 1) * self.iters_per_epoch:
                        self.before_step()
                        self.run_step()
                        self.after_step()
                        self.iter += 1
                        if signals.requested():
                            self._save_interrupted(signals.received or "a stop signal on another rank")
                            return
                    self.after_epoch()
            except Exception:
                logger.exception("Exception during training:")
                raise
            finally:
                self._after_train()

    def _save_interrupted(self, signal_name: str) -> None:
        self.stopped_by = signal_name
        step = self.iter - self.epoch * self.iters_per_epoch
        self.checkpointer.save(INTERRUPTED_CHECKPOINT, epoch=self.epoch - 1, iteration=self.iter)
        comm.synchronize()
        logger.warning(f"{signal_name}: stopped after iteration {self.iter} (epoch {self.epoch}, step {step} of "
                       f"{self.iters_per_epoch}); {INTERRUPTED_CHECKPOINT}.pth in {self.cfg.OUTPUT_DIR} holds it. "
                       f"Run the same command with --resume to go on from there.")

    def _after_train(self) -> None:
        """The hooks' ``after_train``; after a stop signal without FastReID's
        ``EvalHook``, which would evaluate the model mid-epoch when the last
        epoch is not a multiple of ``TEST.EVAL_PERIOD``."""
        if self.stopped_by is None:
            return self.after_train()
        self.storage.iter = self.iter
        for hook in self._hooks:
            if not isinstance(hook, hooks.EvalHook):
                hook.after_train()

    checkpointer_class = AtomicCheckpointer

    def build_checkpointer(self, **checkpointables) -> AtomicCheckpointer:
        """DefaultTrainer's checkpointer (model, optimizer, schedulers, and
        ``checkpointables``), written atomically."""
        return self.checkpointer_class(self.model, self.cfg.OUTPUT_DIR, save_to_disk=comm.is_main_process(),
                                       optimizer=self.optimizer, **self.scheduler, **checkpointables)

    def build_hooks(self):
        # Called at the end of DefaultTrainer.__init__, before the hooks and
        # resume_or_load take their references to the checkpointer.
        self.best_evaluation = BestEvaluationHook(
            self.cfg.DATASETS.TESTS[0], save_best=lambda **extra: self.checkpointer.save("model_best", **extra))
        self.checkpointer = self.build_checkpointer(best_evaluation=self.best_evaluation)
        hook_list = with_epoch_end_writer(super().build_hooks())
        return with_best_evaluation(hook_list, self.best_evaluation) if comm.is_main_process() else hook_list

    @classmethod
    def build_evaluator(cls, cfg: CfgNode, dataset_name: str, output_dir: str | None = None):
        split = load_test_split(cfg, dataset_name)
        protocol = cls.evaluation_protocol(cfg, split)
        data_loader, num_query = cls.build_test_loader(cfg, split)
        return data_loader, ReidEvaluator(cfg, num_query, output_dir, protocol=protocol)
