"""From a FastReID config to the dataset constructors' keyword arguments.

FastReID's loaders build a dataset as ``DATASET_REGISTRY.get(name)(root=...,
**kwargs)`` and know nothing of the plugin's dataset options. A dataset that
reads options from the config registers a builder here under its registered
name; :func:`dataset_kwargs` gives the loaders what to pass.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from fastreid.config import CfgNode
from fastreid.data import build as data_build
from fastreid.data.datasets import DATASET_REGISTRY
from fastreid.data.datasets.bases import ImageDataset

OptionsBuilder = Callable[[CfgNode], dict[str, Any]]

#: Registered dataset name → the builder of its constructor's keyword arguments.
DATASET_OPTIONS: dict[str, OptionsBuilder] = {}


def register_dataset_options(*names: str) -> Callable[[OptionsBuilder], OptionsBuilder]:
    """Decorator: ``builder(cfg)`` gives the keyword arguments of the datasets
    registered as ``names``."""

    def register(builder: OptionsBuilder) -> OptionsBuilder:
        for name in names:
            if name in DATASET_OPTIONS:
                raise KeyError(f"Dataset options for {name!r} are already registered")
            DATASET_OPTIONS[name] = builder
        return builder

    return register


def dataset_kwargs(cfg: CfgNode, dataset_names: Iterable[str]) -> dict[str, Any]:
    """Keyword arguments FastReID's loader builders pass to the constructors
    of ``dataset_names``: the union of their registered builders' (each
    builder called once); ``{}`` for datasets without options."""
    kwargs: dict[str, Any] = {}
    builders = {id(b): b for b in (DATASET_OPTIONS.get(name) for name in dataset_names) if b is not None}
    for builder in builders.values():
        kwargs.update(builder(cfg))
    return kwargs


def build_dataset(cfg: CfgNode, name: str, **kwargs: Any) -> ImageDataset:
    """The dataset registered as ``name``, under FastReID's datasets root
    (``FASTREID_DATASETS``), with its options from the config and ``kwargs``."""
    return DATASET_REGISTRY.get(name)(root=data_build._root, **kwargs, **dataset_kwargs(cfg, [name]))
