"""Pseudo labels with every process of a ``torch.distributed`` run: each
searches the k-NN rows of its own shard where its features are, process 0
assembles the lists and labels, every process takes its labels."""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from fastreid.utils import comm

from ..clustering.knn import shard_rows
from .base import Labeler


def label_on_all_ranks(labeler: Labeler, features: torch.Tensor, previous: np.ndarray | None) -> np.ndarray:
    """The labels of ``features`` (the same N×d on every process, each on
    its own device), on every process.

    One process: ``labeler(features, previous)``. Several: each checks its
    memory and runs ``labeler.search_neighbours`` on its contiguous rows
    (:func:`~hhcl.clustering.knn.shard_rows`) against all N; process 0
    gathers the lists in rank order (equal to one search of all rows) and
    runs ``labeler.label``; the labels reach every process. A failure on
    any process is raised on every process (none waits for the others).
    """
    world_size = comm.get_world_size()
    if world_size == 1:
        return labeler(features, previous)
    rank = comm.get_rank()

    def search():
        labeler.check_memory(features, world_size, labels_here=comm.is_main_process())
        return labeler.search_neighbours(features, shard_rows(len(features), rank, world_size))

    shard, error = _attempt(search)
    shards = comm.gather(shard if error is None else _failure(rank, error))
    result = None
    if comm.is_main_process():
        failures = [part for part in shards if isinstance(part, str)]
        if failures:
            result = failures[0]
        else:
            neighbours = None if shard is None else tuple(np.concatenate(parts) for parts in zip(*shards))
            labels, error = _attempt(lambda: labeler.label(features, previous, neighbours))
            result = labels if error is None else _failure(rank, error)
    result = comm.all_gather(result)[0]
    if error is not None:
        raise error
    if isinstance(result, str):
        raise RuntimeError(result)
    return result


def _attempt(step: Callable):
    """(result, None), or (None, the exception) when ``step`` raised."""
    try:
        return step(), None
    except Exception as error:  # noqa: BLE001 — passed on to the other processes, then re-raised
        return None, error


def _failure(rank: int, error: Exception) -> str:
    return f"Pseudo labels failed on process {rank}: {type(error).__name__}: {error}"
