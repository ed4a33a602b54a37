"""k-nearest-neighbour search of a feature set against itself: faiss on the
CPU (``exact``, ``hnsw``) or a GPU (``faiss_gpu``), or an exact torch search
where the features are (``torch``); ``auto`` picks by the features' device."""

from __future__ import annotations

import faiss
import numpy as np
import torch

from .torch_knn import DEFAULT_CHUNK_BYTES, torch_knn

INDEXES = ("auto", "exact", "hnsw", "torch", "faiss_gpu")
#: The setup.py extra that installs faiss built with CUDA.
GPU_EXTRA = 'pip install -e ".[gpu]"'
#: Temporary GPU memory given to faiss's GPU search (its default is a share of the GPU).
FAISS_GPU_TEMP_BYTES = 256 * 2**20
#: HNSW: links per node, candidates kept while building and while searching
#: (at least 2k). Building with faiss's default 40 takes half the time, but at
#: 100,000 identity-structured features (benchmarks/bench_pseudo_labels.py) it
#: finds 98.5% of the exact neighbours and its labels reach ARI 0.93 to the
#: exact ones; with 80, 100% and ARI 0.999. The index stores the features in
#: float16: half the memory and about 1.4× faster to build than float32 at
#: d = 2048, 99.99% of the exact neighbours found at 100,000.
HNSW_LINKS, HNSW_EF_CONSTRUCTION, HNSW_MIN_EF_SEARCH = 32, 80, 64
#: Query rows per block when the found neighbours' distances are recomputed.
REFINE_ROWS = 256


def _raise_for_non_finite_rows(finite_rows: np.ndarray) -> None:
    if not finite_rows.all():
        bad = np.flatnonzero(~finite_rows)
        raise ValueError(f"features contain NaN or inf in {bad.size} rows (first: {bad[:5].tolist()}); "
                         f"the model's outputs diverged or the features were not extracted correctly")


def _check_shape(shape: tuple) -> None:
    if len(shape) != 2 or shape[0] == 0:
        raise ValueError(f"features must be a non-empty N×d array, got shape {tuple(shape)}")


def as_float32_features(features) -> np.ndarray:
    """C-contiguous float32 N×d array of the features (torch on any device,
    or numpy); a clear error for NaN/inf or a wrong shape."""
    if hasattr(features, "detach"):
        features = features.detach().cpu().numpy()
    features = np.ascontiguousarray(features, dtype=np.float32)
    _check_shape(features.shape)
    _raise_for_non_finite_rows(np.isfinite(features).all(axis=1))
    return features


def as_float32_tensor(features) -> torch.Tensor:
    """Contiguous float32 N×d tensor of the features, on their device (numpy
    arrays become CPU tensors sharing their memory); checked as
    :func:`as_float32_features`."""
    tensor = features.detach() if isinstance(features, torch.Tensor) else torch.from_numpy(np.asarray(features))
    tensor = tensor.to(torch.float32).contiguous()
    _check_shape(tensor.shape)
    _raise_for_non_finite_rows(torch.isfinite(tensor).all(dim=1).cpu().numpy())
    return tensor


def resolve_index(index: str, features=None) -> str:
    """The index ``index`` names for these features: ``auto`` is ``torch``
    for features in CUDA memory and ``exact`` otherwise; the other names
    stand for themselves. An unknown name is a ``ValueError``."""
    if index not in INDEXES:
        raise ValueError(f"Unknown k-NN index {index!r}; choose one of {', '.join(INDEXES)}")
    if index == "auto":
        return "torch" if isinstance(features, torch.Tensor) and features.is_cuda else "exact"
    return index


def check_index_available(index: str) -> None:
    """Raise a ``RuntimeError`` naming the extra when ``index`` needs a faiss
    GPU build that is not installed (or no GPU is visible); check the name."""
    if resolve_index(index) != "faiss_gpu":
        return
    if not hasattr(faiss, "StandardGpuResources"):
        raise RuntimeError(f"The k-NN index faiss_gpu needs faiss built with CUDA, but the installed faiss "
                           f"{faiss.__version__} is the CPU build. Install it with {GPU_EXTRA} (faiss-gpu, which "
                           f"provides the same `faiss` module as faiss-cpu), or use the index torch (exact, on "
                           f"the GPU, nothing to install).")
    if faiss.get_num_gpus() < 1:
        raise RuntimeError("The k-NN index faiss_gpu needs a GPU, but faiss sees none: use the index exact "
                           "(CPU) or run where a GPU is visible.")


def shard_rows(num_samples: int, rank: int, world_size: int) -> slice:
    """The contiguous rows of process ``rank`` of ``world_size``: shards in
    rank order cover 0..N−1 once, sizes differing by at most one."""
    return slice(num_samples * rank // world_size, num_samples * (rank + 1) // world_size)


def knn_search(features, k: int, index: str = "exact", rows: slice | None = None,
               chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of each row by Euclidean distance, the row
    itself included. Returns (squared distances float32, indices int64),
    both N×k, closest first, as numpy arrays on the CPU. With ``rows``
    (a slice), only those query rows, still searched against all N.

    ``index``:

    - ``exact``: faiss ``IndexFlatL2`` on the CPU (a copy of the features).
    - ``hnsw``: approximate, faiss ``IndexHNSWSQ`` (:data:`HNSW_LINKS` links
      per node, the features stored in float16), for very large N on the
      CPU; the distances of the neighbours it finds are then recomputed in
      float32 from the features and each list sorted by them
      (:func:`exact_distances`).
    - ``torch``: exact, on the features' device (CUDA when training on a GPU):
      chunked matrix products and top-k, ``chunk_bytes`` per distance block
      (:func:`hhcl.clustering.torch_knn.torch_knn`).
    - ``faiss_gpu``: exact, faiss ``GpuIndexFlatL2`` on the features' GPU (the
      current one for CPU features); needs the ``gpu`` extra
      (:data:`GPU_EXTRA`). Ties in the GPU k-selection's order.
    - ``auto``: ``torch`` for CUDA tensors, ``exact`` otherwise.

    Ties (``exact`` and ``torch``): equally distant neighbours are ordered by
    index, lower first, and where ties straddle the k-th place the lower
    indices are kept (``hnsw``: the first rule, among the neighbours found).
    The two give the same lists where both compute the distances exactly
    (e.g. small-integer features); otherwise they can differ only among
    neighbours whose distances differ by float32 rounding.
    """
    index = resolve_index(index, features)
    if index == "torch":
        tensor = as_float32_tensor(features)
        _check_k(k, tensor.shape[0])
        distances, indices = torch_knn(tensor, k, slice(None) if rows is None else rows, chunk_bytes)
        return distances.cpu().numpy(), indices.cpu().numpy()
    device = features.device if isinstance(features, torch.Tensor) and features.is_cuda else None
    features = as_float32_features(features)
    n, dim = features.shape
    _check_k(k, n)
    searcher = _faiss_index(index, dim, k, device)
    searcher.add(features)
    queries = features if rows is None else features[rows]
    squared_distances, indices = searcher.search(queries, k)
    indices = indices.astype(np.int64, copy=False)
    if index == "hnsw":
        del searcher  # its float16 copy of the features
        return exact_distances(features, queries, indices)
    return squared_distances, indices


def exact_distances(features: np.ndarray, queries: np.ndarray, indices: np.ndarray,
                    rows_per_block: int = REFINE_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Squared Euclidean distances from each query row to the ``features``
    rows its row of ``indices`` lists, computed in float32 (``REFINE_ROWS``
    queries at a time), and each list re-sorted by them: closest first, equal
    distances by index, lower first. Returns (distances, indices), Q×k."""
    distances = np.empty(indices.shape, dtype=np.float32)
    for start in range(0, len(queries), rows_per_block):
        stop = min(len(queries), start + rows_per_block)
        differences = features[indices[start:stop]] - queries[start:stop, None, :]
        distances[start:stop] = np.einsum("qkd,qkd->qk", differences, differences)
    order = np.lexsort((indices, distances), axis=1)
    return np.take_along_axis(distances, order, axis=1), np.take_along_axis(indices, order, axis=1)


def _check_k(k: int, num_samples: int) -> None:
    if not 1 <= k <= num_samples:
        raise ValueError(f"k-NN: k must be between 1 and the number of samples ({num_samples}), got {k}")


def _faiss_index(index: str, dim: int, k: int, device: torch.device | None):
    if index == "exact":
        return faiss.IndexFlatL2(dim)
    if index == "hnsw":
        searcher = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_fp16, HNSW_LINKS)
        searcher.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        searcher.hnsw.efSearch = max(HNSW_MIN_EF_SEARCH, 2 * k)
        return searcher
    check_index_available(index)
    resources = faiss.StandardGpuResources()
    resources.setTempMemory(FAISS_GPU_TEMP_BYTES)
    config = faiss.GpuIndexFlatConfig()
    config.device = device.index if device is not None and device.index is not None else torch.cuda.current_device()
    searcher = faiss.GpuIndexFlatL2(resources, dim, config)
    searcher.resources = resources  # faiss's Python objects do not keep their resources alive
    return searcher
