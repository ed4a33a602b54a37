"""What the pseudo-label step will take before it runs: its estimated peak
memory on each device (features, k-NN index and chunk buffers, neighbour
lists, the sparse Jaccard sets and stored pairs, DBSCAN's copies), the
memory available there, and a clear stop when it cannot fit.

The sizes of the sparse sets depend on the data; the estimate takes their
typical sizes per row, measured on clustered re-ID-like features at k1 = 30
(benchmarks/bench_pseudo_labels.py's data and tests/helpers.py's
``identities``): R(i, k1) and R(i, round(k1/2)) at their bounds (k1 and
round(k1/2) + 1), R*(i) ≈ k1, after query expansion ≈ 2·k1, kept pairs
within eps ≈ k1. tests/clustering/test_memory_estimate.py checks the
estimate against the measured peak within a factor of 2.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Callable

import numba
import torch

from .knn import FAISS_GPU_TEMP_BYTES, HNSW_LINKS, REFINE_ROWS
from .torch_knn import DEFAULT_CHUNK_BYTES, chunk_rows

logger = logging.getLogger(__name__)

GIB = 2**30
#: Typical entries per row of R*(i), of V after query expansion and of the kept pairs, in units of k1.
EXPANDED_PER_K1, QUERY_EXPANDED_PER_K1, PAIRS_PER_K1 = 1.0, 2.0, 1.0
#: faiss's blocks of the exact CPU search: 4096 queries × 1024 database rows of float32.
FAISS_BLOCK_BYTES = 4096 * 1024 * 4
#: faiss HNSW graph per node: 2·HNSW_LINKS links of level 0 (int32), its level and offsets, upper levels.
HNSW_BYTES_PER_NODE = 2 * HNSW_LINKS * 4 + 64
#: Bytes per stored pair during DBSCAN (scikit-learn copies the matrix, sorts it and splits it into
#: per-row neighbourhoods) and per sample (a numpy array object per neighbourhood).
DBSCAN_BYTES_PER_PAIR, DBSCAN_BYTES_PER_SAMPLE = 64, 160
#: Bytes per k-NN edge while merging clusters (edges, their clusters, distances, sort keys, sparse matrices).
MERGE_BYTES_PER_EDGE = 160


@dataclass(frozen=True)
class MemoryEstimate:
    """Estimated memory of the step on one device: ``held`` bytes already
    there when it starts (the features), and each stage's bytes on top of
    them, by term (stages run one after the other)."""

    device: str
    held: int
    stages: dict[str, dict[str, int]]

    @property
    def extra(self) -> int:
        """The bytes the step adds at its peak: its largest stage."""
        return max((sum(terms.values()) for terms in self.stages.values()), default=0)

    @property
    def peak(self) -> int:
        return self.held + self.extra

    def describe(self) -> str:
        """The peak and its largest stage's terms, in GiB."""
        stage, terms = max(self.stages.items(), key=lambda item: sum(item[1].values()))
        parts = ", ".join(f"{name} {gib(size)}" for name, size in terms.items())
        return f"{self.device}: peak {gib(self.peak)} = {gib(self.held)} held + {stage} ({parts})"


def gib(size: float) -> str:
    return f"{size / GIB:.2f} GiB"


def knn_terms(num_samples: int, dim: int, k: int, index: str, query_rows: int,
              chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> dict[str, int]:
    """Bytes the k-NN search (:func:`hhcl.clustering.knn_search` with a
    resolved ``index``) adds on its device for ``query_rows`` query rows."""
    lists = 12 * query_rows * k  # float32 squared distances + int64 indices
    if index == "torch":
        block = 4 * min(query_rows, chunk_rows(num_samples, chunk_bytes)) * num_samples
        return {"distance block": block, "squared norms": 4 * num_samples, "neighbour lists": lists}
    index_copy = 4 * num_samples * dim
    if index == "exact":
        return {"index copy": index_copy, "search blocks": FAISS_BLOCK_BYTES, "neighbour lists": lists}
    if index == "hnsw":  # a float16 copy; refinement: one block of neighbours and differences, the sorted lists
        refinement = 2 * 4 * min(query_rows, REFINE_ROWS) * k * dim + lists
        return {"index copy": index_copy // 2, "graph": HNSW_BYTES_PER_NODE * num_samples,
                "distance refinement": refinement, "neighbour lists": lists}
    if index == "faiss_gpu":
        return {"index copy": index_copy, "faiss temporary memory": FAISS_GPU_TEMP_BYTES}
    raise ValueError(f"knn_terms needs a resolved index (exact, hnsw, torch, faiss_gpu), got {index!r}")


def jaccard_dbscan_stages(num_samples: int, k1: int, k2: int) -> dict[str, dict[str, int]]:
    """Bytes on the CPU of the Jaccard distance (hhcl.clustering.jaccard,
    steps 2–6) and of DBSCAN, given the N×k1 neighbour lists, by stage."""
    n, k1 = num_samples, min(k1, num_samples)
    lists = 12 * n * k1
    reciprocal = 8 * n * (k1 + round(k1 / 2) + 1 + 2)  # both CSR sets with their row offsets
    expanded = int(16 * n * EXPANDED_PER_K1 * k1)     # int64 column + float64 weight per entry
    query_expanded = int(16 * n * QUERY_EXPANDED_PER_K1 * k1) if k2 > 1 else expanded
    pairs = int(n * PAIRS_PER_K1 * k1)
    scratch = 24 * n * numba.get_num_threads()  # each thread's O(N) arrays
    return {
        "Jaccard expansion": {"neighbour lists": lists, "reciprocal sets": reciprocal, "V": expanded,
                              "V expanded": query_expanded, "scratch": scratch},
        "Jaccard pairs": {"neighbour lists": lists, "reciprocal sets": reciprocal, "V expanded": query_expanded,
                          "column view of V": 3 * query_expanded // 2, "stored pairs": 16 * pairs,
                          "scratch": scratch},
        "DBSCAN": {"neighbour lists": lists, "stored pairs": DBSCAN_BYTES_PER_PAIR * pairs,
                   "neighbourhoods": DBSCAN_BYTES_PER_SAMPLE * n},
    }


def merge_stages(num_samples: int, k: int) -> dict[str, dict[str, int]]:
    """Bytes on the CPU of one agglomerative merge stage on the k-NN graph."""
    return {"merging": {"neighbour lists": 12 * num_samples * k, "edges": MERGE_BYTES_PER_EDGE * num_samples * k}}


def step_estimates(num_samples: int, dim: int, k: int, index: str, features_device: str,
                   labelling_stages: dict[str, dict[str, int]], world_size: int = 1, labels_here: bool = True,
                   query_rows: int | None = None, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> list[MemoryEstimate]:
    """The step's estimate on each device it uses in this process: the
    features (held where they are), the k-NN search of ``query_rows`` rows
    (all N when None) on the index's device, and, where ``labels_here`` (the
    process that labels), the assembled lists and ``labelling_stages`` on
    the CPU. ``index`` is resolved (not ``auto``)."""
    query_rows = num_samples if query_rows is None else query_rows
    on_gpu = features_device.startswith("cuda")
    if index == "torch":
        knn_device = features_device
    elif index == "faiss_gpu":
        knn_device = features_device if on_gpu else "cuda"  # CPU features: the current GPU
    else:
        knn_device = "cpu"
    stages: dict[str, dict[str, dict[str, int]]] = {}
    stages.setdefault(knn_device, {})["k-NN"] = knn_terms(num_samples, dim, k, index, query_rows, chunk_bytes)
    if knn_device != "cpu":
        stages.setdefault("cpu", {})["k-NN"] = {"neighbour lists": 12 * query_rows * k}
    if labels_here:
        cpu_stages = stages.setdefault("cpu", {})
        if world_size > 1:  # the pickled shards and the assembled lists
            cpu_stages["gather"] = {"gathered lists": 36 * num_samples * k}
        for name, terms in labelling_stages.items():
            cpu_stages[name] = ({"features (CPU copy)": 4 * num_samples * dim} if on_gpu else {}) | terms
    held = 4 * num_samples * dim
    return [MemoryEstimate(device, held if device == features_device else 0, device_stages)
            for device, device_stages in stages.items()]


def available_bytes(device: str) -> int | None:
    """Memory free for the step on ``device``: for CUDA, the driver's free
    memory plus what torch's allocator holds unused; for the CPU, psutil's
    available memory if installed, else /proc/meminfo's MemAvailable, capped
    by the cgroup's limit. None when unknown."""
    if device.startswith("cuda"):
        cuda = torch.device(device)
        free, _ = torch.cuda.mem_get_info(cuda)
        return free + torch.cuda.memory_reserved(cuda) - torch.cuda.memory_allocated(cuda)
    try:
        import psutil
        available = psutil.virtual_memory().available
    except ImportError:
        available = _meminfo_available()
    cgroup = _cgroup_available()
    if cgroup is not None:
        available = cgroup if available is None else min(available, cgroup)
    return available


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _cgroup_available(root: str = "/sys/fs/cgroup") -> int | None:
    try:
        with open(os.path.join(root, "memory.max")) as limit, open(os.path.join(root, "memory.current")) as used:
            text = limit.read().strip()
            return None if text == "max" else max(0, int(text) - int(used.read()))
    except (OSError, ValueError):
        return None


class StepMemoryError(RuntimeError):
    """The pseudo-label step cannot fit in the memory available."""


def check_step_memory(estimates: list[MemoryEstimate], description: str, options: str,
                      available: Callable[[str], int | None] | None = None) -> None:
    """Log ``description`` (the step and its k-NN index) with each device's
    estimate and the memory ``available`` there (:func:`available_bytes` by
    default); raise :class:`StepMemoryError` naming the estimate, the limit
    and ``options`` where it cannot fit."""
    available = available or available_bytes
    limits = {estimate.device: available(estimate.device) for estimate in estimates}
    logger.info(f"{description}; estimated memory: " + "; ".join(
        f"{estimate.describe()}, {'unknown' if limits[estimate.device] is None else gib(limits[estimate.device])} "
        f"available" for estimate in estimates))
    for estimate in estimates:
        limit = limits[estimate.device]
        if limit is not None and estimate.extra > limit:
            raise StepMemoryError(f"{description}: the step needs about {gib(estimate.extra)} more on "
                                  f"{estimate.device} ({estimate.describe()}), but only {gib(limit)} is "
                                  f"available there. {options}")
