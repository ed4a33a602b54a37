"""What a labeler is, and ``LABELER_REGISTRY`` (``PSEUDO_LABELS.METHOD``)."""

from __future__ import annotations

import abc
from typing import Sequence

import numpy as np
import torch
from fastreid.config import CfgNode

from ..clustering.knn import INDEXES, check_index_available, knn_search, resolve_index
from ..clustering.memory_estimate import MemoryEstimate, check_step_memory, step_estimates
from ..registry import Registry

LABELER_REGISTRY = Registry("LABELER", config_key="PSEUDO_LABELS.METHOD")
LABELER_REGISTRY.__doc__ = """Labelers (:class:`Labeler` subclasses with ``from_config(cfg, train_items)``),
registered under the ``PSEUDO_LABELS.METHOD`` value that selects them."""


class Labeler(abc.ABC):
    """Turns the features of the train images into pseudo labels: one per
    image, clusters numbered 0..C−1, −1 for an outlier (left out of the
    epoch's training).

    Under ``torch.distributed`` (:func:`label_on_all_ranks`) every process
    runs :meth:`check_memory` and :meth:`search_neighbours` on its share of
    the rows, and process 0 runs :meth:`label` with the lists of all rows.
    By default a labeler needs no k-NN lists and :meth:`label` is the whole
    labeling; :class:`KnnLabeler` splits its work in two.
    """

    @classmethod
    @abc.abstractmethod
    def from_config(cls, cfg: CfgNode, train_items: Sequence[tuple]) -> "Labeler":
        """The labeler that ``cfg.PSEUDO_LABELS`` describes, for ``train_items``
        ((path, identity, camera) tuples, in feature order)."""

    @abc.abstractmethod
    def __call__(self, features: torch.Tensor, previous: np.ndarray | None) -> np.ndarray:
        """Labels of the L2-normalised N×d ``features`` (on the model's
        device); ``previous`` holds the last labels (None before the first
        update)."""

    def check_memory(self, features: torch.Tensor, world_size: int, labels_here: bool) -> None:
        """Log the step's estimated memory in this process (one of
        ``world_size``; ``labels_here``: it runs :meth:`label`) and stop where
        it cannot fit. Nothing by default."""

    def search_neighbours(self, features: torch.Tensor, rows: slice) -> tuple[np.ndarray, np.ndarray] | None:
        """The k-NN lists (squared distances, indices; numpy, on the CPU) of
        the rows ``rows`` of ``features`` against all of them, searched where
        the features are; None (the default) for a labeler that needs none."""
        return None

    def label(self, features: torch.Tensor, previous: np.ndarray | None,
              neighbours: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
        """Labels given :meth:`search_neighbours` of all rows, in row order;
        by default the whole labeling, ``self(features, previous)``."""
        return self(features, previous)

    @abc.abstractmethod
    def advice(self, num_clusters: int) -> str:
        """What to change when a labeling found only ``num_clusters`` (0 or 1)
        clusters, naming the config keys."""


class KnnLabeler(Labeler):
    """A labeler on the ``k``-NN graph of the features, searched with the
    index ``knn_index`` (``PSEUDO_LABELS.KNN_INDEX``); subclasses set
    ``num_neighbours``, ``knn_index`` and ``check_memory_enabled`` and give
    the CPU stages of their estimate and the key that shrinks it."""

    knn_index: str
    check_memory_enabled: bool

    @abc.abstractmethod
    def num_neighbours(self, num_samples: int) -> int:
        """Neighbours per row for ``num_samples`` images (the row itself included)."""

    @abc.abstractmethod
    def labelling_stages(self, num_samples: int) -> dict[str, dict[str, int]]:
        """Bytes on the CPU of :meth:`label` beyond the features, by stage and term."""

    @abc.abstractmethod
    def smaller_neighbourhood(self) -> str:
        """The key of the neighbourhood size to lower, its value and what grows with it."""

    def memory_options(self) -> str:
        """What to change when the step cannot fit, naming the config keys."""
        return (f"Options: PSEUDO_LABELS.KNN_INDEX hnsw (approximate k-NN on the CPU) or torch (exact, searches "
                f"the features where they are, without an index copy); a smaller {self.smaller_neighbourhood()}; "
                f"more processes (--num-gpus: each searches only its share of the rows).")

    def __call__(self, features: torch.Tensor, previous: np.ndarray | None) -> np.ndarray:
        """The memory check, the k-NN search where the features are, then
        :meth:`label` (on the CPU)."""
        self.check_memory(features, world_size=1, labels_here=True)
        return self.label(features, previous, self.search_neighbours(features, slice(None)))

    @abc.abstractmethod
    def label(self, features: torch.Tensor, previous: np.ndarray | None,
              neighbours: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Labels given the k-NN lists of all rows."""

    def search_neighbours(self, features: torch.Tensor, rows: slice) -> tuple[np.ndarray, np.ndarray]:
        return knn_search(features, self.num_neighbours(len(features)), self.knn_index, rows=rows)

    def estimate_memory(self, features: torch.Tensor, world_size: int, labels_here: bool) -> list[MemoryEstimate]:
        num_samples, dim = features.shape
        return step_estimates(num_samples, dim, self.num_neighbours(num_samples),
                              resolve_index(self.knn_index, features), str(features.device),
                              self.labelling_stages(num_samples), world_size=world_size, labels_here=labels_here,
                              query_rows=-(-num_samples // world_size))

    def check_memory(self, features: torch.Tensor, world_size: int, labels_here: bool) -> None:
        if not self.check_memory_enabled:
            return
        index = resolve_index(self.knn_index, features)
        description = (f"Pseudo labels of {len(features):,} images: k-NN index {index} (PSEUDO_LABELS.KNN_INDEX "
                       f"{self.knn_index}), features on {features.device}"
                       + (f", {world_size} processes sharing the search" if world_size > 1 else ""))
        check_step_memory(self.estimate_memory(features, world_size, labels_here), description,
                          f"{self.memory_options()} Or set PSEUDO_LABELS.CHECK_MEMORY False to run the step "
                          f"anyway.")


def checked_knn_index(index: str) -> str:
    """``PSEUDO_LABELS.KNN_INDEX`` checked: a known name, and for
    ``faiss_gpu`` an installed GPU build of faiss (the error names the extra)."""
    if index not in INDEXES:
        raise ValueError(f"Unknown PSEUDO_LABELS.KNN_INDEX {index!r}; choose one of {', '.join(INDEXES)}")
    check_index_available(index)
    return index


def build_labeler(cfg: CfgNode, train_items: Sequence[tuple]) -> Labeler:
    """The labeler registered as ``cfg.PSEUDO_LABELS.METHOD``."""
    return LABELER_REGISTRY.get(cfg.PSEUDO_LABELS.METHOD).from_config(cfg, train_items)
