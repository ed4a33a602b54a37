"""From a FastReID config to the synthetic datasets' options."""

from __future__ import annotations

from typing import Any, Iterable

from fastreid.config import CfgNode

from .synthetic import SyntheticSource, SyntheticSpec, SyntheticTarget

#: Registered synthetic dataset class → its config node under ``DATASETS``.
CONFIG_NODES = {SyntheticSource: "SYNTH_SOURCE", SyntheticTarget: "SYNTH_TARGET"}


def add_synthetic_config(cfg: CfgNode) -> None:
    """``DATASETS.SYNTH_SOURCE`` / ``DATASETS.SYNTH_TARGET``: the options of
    :class:`~hhcl.data.synthetic.SyntheticSpec` (NUM_TRAIN_IDS, NUM_TEST_IDS,
    NUM_CAMERAS, IMAGES_PER_CAMERA, DIFFICULTY, IMAGE_SIZE, SEED)."""
    for dataset, node in CONFIG_NODES.items():
        cfg.DATASETS[node] = CfgNode(dataset.default_spec.to_cfg_dict())


def synthetic_specs_from_cfg(cfg: CfgNode) -> dict[str, SyntheticSpec]:
    """Spec of every synthetic dataset, keyed by its registered name."""
    return {dataset.__name__: SyntheticSpec.from_cfg(cfg.DATASETS[node])
            for dataset, node in CONFIG_NODES.items()}


def dataset_kwargs(cfg: CfgNode, dataset_names: Iterable[str]) -> dict[str, Any]:
    """Keyword arguments FastReID's loader builders pass to the dataset
    constructors: the synthetic specs when a synthetic dataset is used."""
    synthetic = {dataset.__name__ for dataset in CONFIG_NODES}
    if synthetic.intersection(dataset_names):
        return {"synthetic_specs": synthetic_specs_from_cfg(cfg)}
    return {}
