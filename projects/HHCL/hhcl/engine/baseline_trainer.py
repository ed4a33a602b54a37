"""FastReID's ``DefaultTrainer`` with the plugin's datasets wired in."""

from __future__ import annotations

from fastreid.config import CfgNode
from fastreid.data import build_reid_train_loader
from fastreid.engine import DefaultTrainer

from ..data import dataset_kwargs


class BaselineTrainer(DefaultTrainer):
    """Trains stock FastReID configs (``Baseline`` meta-architecture and any
    other registered one) exactly as ``DefaultTrainer`` does, passing the
    synthetic datasets' options from the config to the dataset constructors."""

    @classmethod
    def build_train_loader(cls, cfg: CfgNode):
        return build_reid_train_loader(cfg, combineall=cfg.DATASETS.COMBINEALL,
                                       **dataset_kwargs(cfg, cfg.DATASETS.NAMES))

    @classmethod
    def build_test_loader(cls, cfg: CfgNode, dataset_name: str):
        return super().build_test_loader(cfg, dataset_name, **dataset_kwargs(cfg, [dataset_name]))
