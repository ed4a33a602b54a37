"""From a FastReID config to the synthetic datasets' options."""

from __future__ import annotations

from typing import Any

from fastreid.config import CfgNode

from .dataset_options import register_dataset_options
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


@register_dataset_options(*(dataset.__name__ for dataset in CONFIG_NODES))
def synthetic_dataset_kwargs(cfg: CfgNode) -> dict[str, Any]:
    """The synthetic datasets' constructor options: every spec of the config."""
    return {"synthetic_specs": synthetic_specs_from_cfg(cfg)}
