"""FastReID's ``DefaultTrainer`` with the plugin's datasets and evaluator wired in."""

from __future__ import annotations

from fastreid.config import CfgNode
from fastreid.data import build_reid_train_loader
from fastreid.engine import DefaultTrainer

from ..data import build_train_transforms, dataset_kwargs
from ..evaluation import ReidEvaluator
from .writer_hook import with_epoch_end_writer


class BaselineTrainer(DefaultTrainer):
    """Trains stock FastReID configs (``Baseline`` meta-architecture and any
    other registered one) exactly as ``DefaultTrainer`` does, passing the
    synthetic datasets' options from the config to the dataset constructors,
    and evaluates with the plugin's :class:`~hhcl.evaluation.ReidEvaluator`
    (FastReID's metrics, vectorised; re-ranking on CPU). Its periodic writer
    is :class:`~hhcl.engine.writer_hook.EpochEndPeriodicWriter`, so every
    evaluation reaches metrics.json and TensorBoard."""

    @classmethod
    def build_train_loader(cls, cfg: CfgNode):
        return build_reid_train_loader(cfg, combineall=cfg.DATASETS.COMBINEALL, transforms=build_train_transforms(cfg),
                                       **dataset_kwargs(cfg, cfg.DATASETS.NAMES))

    @classmethod
    def build_test_loader(cls, cfg: CfgNode, dataset_name: str):
        return super().build_test_loader(cfg, dataset_name, **dataset_kwargs(cfg, [dataset_name]))

    def build_hooks(self):
        return with_epoch_end_writer(super().build_hooks())

    @classmethod
    def build_evaluator(cls, cfg: CfgNode, dataset_name: str, output_dir: str | None = None):
        data_loader, num_query = cls.build_test_loader(cfg, dataset_name)
        return data_loader, ReidEvaluator(cfg, num_query, output_dir)
