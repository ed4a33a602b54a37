"""Compiled loops of the sparse k-reciprocal Jaccard distance (numba).

Sparse sets are CSR pairs (``indptr``, ``indices``); rows are processed in
parallel chunks, each chunk with its own O(N) scratch arrays, so memory stays
O(N·k) and no N×N array is ever formed.
"""

from __future__ import annotations

import numba
import numpy as np

_CHUNKS_PER_THREAD = 8


def _count_then_fill(num_rows: int, run) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR output of a kernel run twice: ``run(counts, indptr, indices,
    values, fill)`` first counts each row's entries (``fill`` False), then,
    with the row offsets known, writes them."""
    counts = np.zeros(num_rows, np.int64)
    run(counts, np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64), False)
    indptr = np.zeros(num_rows + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(indptr[-1], np.int64)
    values = np.empty(indptr[-1], np.float64)
    run(counts, indptr, indices, values, True)
    return indptr, indices, values


def _chunk_bounds(n: int) -> np.ndarray:
    chunks = max(1, min(n, numba.get_num_threads() * _CHUNKS_PER_THREAD))
    return np.linspace(0, n, chunks + 1).astype(np.int64)


@numba.njit(cache=True, parallel=True)
def _reciprocal_count(neighbours, width, bounds, counts):
    for c in numba.prange(bounds.size - 1):
        for i in range(bounds[c], bounds[c + 1]):
            for a in range(width):
                j = neighbours[i, a]
                for b in range(width):
                    if neighbours[j, b] == i:
                        counts[i] += 1
                        break


@numba.njit(cache=True, parallel=True)
def _reciprocal_fill(neighbours, width, bounds, indptr, indices):
    for c in numba.prange(bounds.size - 1):
        for i in range(bounds[c], bounds[c + 1]):
            p = indptr[i]
            for a in range(width):
                j = neighbours[i, a]
                for b in range(width):
                    if neighbours[j, b] == i:
                        indices[p] = j
                        p += 1
                        break


def reciprocal_neighbours(neighbours: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """R(i, k): members j of the first k+1 entries of N(i) such that i is among
    the first k+1 entries of N(j) (all k1 entries when k+1 > k1), as CSR."""
    n, k1 = neighbours.shape
    width = min(k + 1, k1)
    bounds = _chunk_bounds(n)
    counts = np.zeros(n, np.int64)
    _reciprocal_count(neighbours, width, bounds, counts)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(indptr[-1], np.int64)
    _reciprocal_fill(neighbours, width, bounds, indptr, indices)
    return indptr, indices


@numba.njit(cache=True, parallel=True)
def _squared_norms(features):
    """‖f_i‖² per row, accumulated in float64 (no float64 copy of the features)."""
    n, dim = features.shape
    out = np.empty(n, np.float64)
    for i in numba.prange(n):
        total = 0.0
        for d in range(dim):
            total += np.float64(features[i, d]) * np.float64(features[i, d])
        out[i] = total
    return out


@numba.njit(cache=True)
def _expand_row(i, r1_ptr, r1_idx, rh_ptr, rh_idx, in_r1, in_set, buffer):
    """R*(i) into ``buffer`` (unsorted); returns its size."""
    size = 0
    for p in range(r1_ptr[i], r1_ptr[i + 1]):
        j = r1_idx[p]
        in_r1[j] = i
        if in_set[j] != i:
            in_set[j] = i
            buffer[size] = j
            size += 1
    for p in range(r1_ptr[i], r1_ptr[i + 1]):
        c = r1_idx[p]
        start, stop = rh_ptr[c], rh_ptr[c + 1]
        shared = 0
        for q in range(start, stop):
            if in_r1[rh_idx[q]] == i:
                shared += 1
        if shared > (2.0 / 3.0) * (stop - start):
            for q in range(start, stop):
                m = rh_idx[q]
                if in_set[m] != i:
                    in_set[m] = i
                    buffer[size] = m
                    size += 1
    return size


@numba.njit(cache=True, parallel=True)
def _expanded_count(r1_ptr, r1_idx, rh_ptr, rh_idx, bounds, counts, capacity):
    n = counts.size
    for c in numba.prange(bounds.size - 1):
        in_r1 = np.full(n, -1, np.int64)
        in_set = np.full(n, -1, np.int64)
        buffer = np.empty(capacity, np.int64)
        for i in range(bounds[c], bounds[c + 1]):
            counts[i] = _expand_row(i, r1_ptr, r1_idx, rh_ptr, rh_idx, in_r1, in_set, buffer)


@numba.njit(cache=True, parallel=True)
def _expanded_weights(features, squared_norms, r1_ptr, r1_idx, rh_ptr, rh_idx, bounds, indptr, indices, weights,
                      capacity):
    """Fill R*(i) (sorted) and V[i, j] = softmax_j(−‖f_i − f_j‖²) over it,
    with ‖f_i − f_j‖² = ‖f_i‖² + ‖f_j‖² − 2 f_i·f_j (2 − 2 f_i·f_j when normalised)."""
    n, dim = features.shape
    for c in numba.prange(bounds.size - 1):
        in_r1 = np.full(n, -1, np.int64)
        in_set = np.full(n, -1, np.int64)
        buffer = np.empty(capacity, np.int64)
        for i in range(bounds[c], bounds[c + 1]):
            size = _expand_row(i, r1_ptr, r1_idx, rh_ptr, rh_idx, in_r1, in_set, buffer)
            members = np.sort(buffer[:size])
            start = indptr[i]
            logits = np.empty(size, np.float64)
            top = -np.inf
            for a in range(size):
                j = members[a]
                dot = 0.0
                for d in range(dim):
                    dot += np.float64(features[i, d]) * np.float64(features[j, d])
                logits[a] = -(squared_norms[i] + squared_norms[j] - 2.0 * dot)
                top = max(top, logits[a])
            total = 0.0
            for a in range(size):
                logits[a] = np.exp(logits[a] - top)
                total += logits[a]
            for a in range(size):
                indices[start + a] = members[a]
                weights[start + a] = logits[a] / total


def expanded_weights(features: np.ndarray, r1: tuple, rh: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows V[i] over R*(i) as CSR (indptr, indices, float64 weights)."""
    n = features.shape[0]
    (r1_ptr, r1_idx), (rh_ptr, rh_idx) = r1, rh
    max_r1 = int(np.diff(r1_ptr).max(initial=0))
    max_rh = int(np.diff(rh_ptr).max(initial=0))
    capacity = max(1, max_r1 * (1 + max_rh))
    bounds = _chunk_bounds(n)
    counts = np.zeros(n, np.int64)
    _expanded_count(r1_ptr, r1_idx, rh_ptr, rh_idx, bounds, counts, capacity)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(indptr[-1], np.int64)
    weights = np.empty(indptr[-1], np.float64)
    squared_norms = _squared_norms(features)
    _expanded_weights(features, squared_norms, r1_ptr, r1_idx, rh_ptr, rh_idx, bounds, indptr, indices, weights,
                      capacity)
    return indptr, indices, weights


@numba.njit(cache=True, parallel=True)
def _query_expansion(neighbours, k2, v_ptr, v_idx, v_val, bounds, counts, out_ptr, out_idx, out_val, fill):
    n = neighbours.shape[0]
    for c in numba.prange(bounds.size - 1):
        accumulator = np.zeros(n, np.float64)
        stamp = np.full(n, -1, np.int64)
        touched = np.empty(n, np.int64)
        for i in range(bounds[c], bounds[c + 1]):
            size = 0
            for r in range(k2):
                row = neighbours[i, r]
                for p in range(v_ptr[row], v_ptr[row + 1]):
                    j = v_idx[p]
                    if stamp[j] != i:
                        stamp[j] = i
                        accumulator[j] = 0.0
                        touched[size] = j
                        size += 1
                    accumulator[j] += v_val[p]
            if not fill:
                counts[i] = size
                continue
            members = np.sort(touched[:size])
            start = out_ptr[i]
            for a in range(size):
                out_idx[start + a] = members[a]
                out_val[start + a] = accumulator[members[a]] / k2


def query_expansion(neighbours: np.ndarray, k2: int, v: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """V[i] ← mean of V[n] over the first k2 entries n of N(i), as CSR."""
    n = neighbours.shape[0]
    bounds = _chunk_bounds(n)
    return _count_then_fill(n, lambda counts, *out: _query_expansion(neighbours, k2, *v, bounds, counts, *out))


@numba.njit(cache=True, parallel=True)
def _jaccard(rows, v_ptr, v_idx, v_val, c_ptr, c_idx, c_val, max_distance, bounds, counts, out_ptr, out_idx,
             out_val, fill):
    n = v_ptr.size - 1
    for c in numba.prange(bounds.size - 1):
        shared = np.zeros(n, np.float64)
        stamp = np.full(n, -1, np.int64)
        touched = np.empty(n, np.int64)
        for t in range(bounds[c], bounds[c + 1]):
            i = rows[t]
            size = 0
            for p in range(v_ptr[i], v_ptr[i + 1]):
                k = v_idx[p]
                vik = v_val[p]
                for q in range(c_ptr[k], c_ptr[k + 1]):
                    j = c_idx[q]
                    if stamp[j] != i:
                        stamp[j] = i
                        shared[j] = 0.0
                        touched[size] = j
                        size += 1
                    shared[j] += min(vik, c_val[q])
            kept = 0
            members = np.sort(touched[:size]) if fill else touched[:size]
            start = out_ptr[t] if fill else 0
            for a in range(size):
                j = members[a]
                # d(i, i) = 0 exactly (S = Σ_k V[i,k] = 1 up to rounding)
                distance = 0.0 if j == i else max(0.0, 1.0 - shared[j] / (2.0 - shared[j]))
                if distance < max_distance:
                    if fill:
                        out_idx[start + kept] = j
                        out_val[start + kept] = distance
                    kept += 1
            if not fill:
                counts[t] = kept


def jaccard_from_weights(v: tuple, max_distance: float, rows: np.ndarray | None = None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """d_J(i, j) = 1 − S/(2 − S), S = Σ_k min(V[i,k], V[j,k]), clipped at 0,
    for every pair sharing a column with d_J < max_distance, as CSR — for the
    given ``rows`` only (all rows when None)."""
    v_ptr, v_idx, v_val = v
    n = v_ptr.size - 1
    rows = np.arange(n, dtype=np.int64) if rows is None else np.ascontiguousarray(rows, dtype=np.int64)
    # Column view of V: the rows holding each column.
    order = np.argsort(v_idx, kind="stable")
    c_idx = np.repeat(np.arange(n, dtype=np.int64), np.diff(v_ptr))[order]
    c_val = v_val[order]
    c_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(v_idx, minlength=n), out=c_ptr[1:])
    bounds = _chunk_bounds(rows.size)
    return _count_then_fill(rows.size, lambda counts, *out: _jaccard(rows, v_ptr, v_idx, v_val, c_ptr, c_idx, c_val,
                                                                     max_distance, bounds, counts, *out))
