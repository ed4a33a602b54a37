"""Compiled loops of the sparse k-reciprocal Jaccard distance (numba).

Sparse sets are CSR pairs (``indptr``, ``indices``, rows sorted); rows are
processed in parallel chunks with O(N) scratch arrays per chunk or thread,
so memory stays O(N·k) and no N×N array is ever formed.

Every number is computed by one fixed sequence of float64 operations, the
same whichever thread, chunk or batch computes it: a dot product f_i·f_j
sums the products f_i[d]·f_j[d] (each exact in float64) over the
dimensions in order, and S(i, j) sums min(V[i,k], V[j,k]) over k in
increasing order. Both are symmetric in (i, j) bit for bit, so each is
computed once per unordered pair and mirrored
(tests/clustering/test_kernels.py).
"""

from __future__ import annotations

import numba
import numpy as np

_CHUNKS_PER_THREAD = 8
#: Pairs held at once by the Jaccard kernel before they are compacted (≈ 12 bytes each).
_PAIR_BUFFER_ENTRIES = 1 << 24


def _count_then_fill(num_rows: int, run) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR output of a kernel run twice: ``run(counts, indptr, indices,
    values, fill)`` first counts each row's entries (``fill`` False), then,
    with the row offsets known, writes them."""
    counts = np.zeros(num_rows, np.int64)
    run(counts, np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64), False)
    indptr = _offsets(counts)
    indices = np.empty(indptr[-1], np.int64)
    values = np.empty(indptr[-1], np.float64)
    run(counts, indptr, indices, values, True)
    return indptr, indices, values


def _offsets(counts: np.ndarray) -> np.ndarray:
    indptr = np.zeros(counts.size + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr


def _chunk_bounds(n: int) -> np.ndarray:
    chunks = max(1, min(n, numba.get_num_threads() * _CHUNKS_PER_THREAD))
    return np.linspace(0, n, chunks + 1).astype(np.int64)


@numba.njit(cache=True)
def _find(values, start, stop, value):
    """Position of ``value`` in the sorted ``values[start:stop]``, or −1."""
    position = _first_at_least(values, start, stop, value)
    return position if position < stop and values[position] == value else -1


@numba.njit(cache=True)
def _first_at_least(values, start, stop, value):
    """First position p in the sorted ``values[start:stop]`` with values[p] ≥ ``value`` (``stop`` if none)."""
    while start < stop:
        middle = (start + stop) // 2
        if values[middle] < value:
            start = middle + 1
        else:
            stop = middle
    return start


@numba.njit(cache=True, parallel=True)
def _reciprocal_ranks(neighbours, bounds, ranks):
    for c in numba.prange(bounds.size - 1):
        for i in range(bounds[c], bounds[c + 1]):
            for a in range(neighbours.shape[1]):
                j = neighbours[i, a]
                ranks[i, a] = neighbours.shape[1]
                for b in range(neighbours.shape[1]):
                    if neighbours[j, b] == i:
                        ranks[i, a] = b
                        break


def reciprocal_ranks(neighbours: np.ndarray) -> np.ndarray:
    """ranks[i, a]: the position of i in N(j), j = neighbours[i, a] (k1 when
    i is not in N(j)); N×k1 int32."""
    ranks = np.empty(neighbours.shape, np.int32)
    _reciprocal_ranks(neighbours, _chunk_bounds(neighbours.shape[0]), ranks)
    return ranks


@numba.njit(cache=True)
def _reciprocal_members(neighbours, ranks, width):
    n = neighbours.shape[0]
    indptr = np.zeros(n + 1, np.int64)
    for i in range(n):
        indptr[i + 1] = indptr[i]
        for a in range(width):
            if ranks[i, a] < width:
                indptr[i + 1] += 1
    indices = np.empty(indptr[n], np.int64)
    for i in range(n):
        p = indptr[i]
        for a in range(width):
            if ranks[i, a] < width:
                indices[p] = neighbours[i, a]
                p += 1
    return indptr, indices


def reciprocal_neighbours(neighbours: np.ndarray, ranks: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """R(i, k): members j of the first k+1 entries of N(i) such that i is among
    the first k+1 entries of N(j) (all k1 entries when k+1 > k1), as CSR;
    ``ranks`` from :func:`reciprocal_ranks`. One O(N·k) pass, too short to
    be worth a parallel region."""
    return _reciprocal_members(neighbours, ranks, min(k + 1, neighbours.shape[1]))


@numba.njit(cache=True, fastmath={"contract"})
def _dot(features, i, j):
    """f_i·f_j: Σ_d f_i[d]·f_j[d] in float64, d = 0, 1, …; a product of two
    float32 values is exact in float64, so a fused multiply-add (allowed
    here, no other reordering) rounds each step exactly as multiply-then-add."""
    total = 0.0
    for d in range(features.shape[1]):
        total += np.float64(features[i, d]) * np.float64(features[j, d])
    return total


@numba.njit(cache=True, parallel=True, fastmath={"contract"})
def _squared_norms(features):
    """‖f_i‖² = f_i·f_i per row, summed as :func:`_dot` (no float64 copy of
    the features); eight rows advance together."""
    n, dim = features.shape
    out = np.empty(n, np.float64)
    for block in numba.prange((n + 7) // 8):
        i = 8 * block
        if i + 8 > n:
            for r in range(i, n):
                out[r] = _dot(features, r, r)
            continue
        s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
        for d in range(dim):
            x0, x1 = np.float64(features[i, d]), np.float64(features[i + 1, d])
            x2, x3 = np.float64(features[i + 2, d]), np.float64(features[i + 3, d])
            x4, x5 = np.float64(features[i + 4, d]), np.float64(features[i + 5, d])
            x6, x7 = np.float64(features[i + 6, d]), np.float64(features[i + 7, d])
            s0 += x0 * x0
            s1 += x1 * x1
            s2 += x2 * x2
            s3 += x3 * x3
            s4 += x4 * x4
            s5 += x5 * x5
            s6 += x6 * x6
            s7 += x7 * x7
        out[i], out[i + 1], out[i + 2], out[i + 3], out[i + 4], out[i + 5], out[i + 6], out[i + 7] = \
            s0, s1, s2, s3, s4, s5, s6, s7
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
def _expanded_sets(r1_ptr, r1_idx, rh_ptr, rh_idx, bounds, counts, indptr, indices, capacity, fill):
    """Sizes of R*(i) into ``counts``, or (``fill``) R*(i) sorted into ``indices``."""
    n = counts.size
    for c in numba.prange(bounds.size - 1):
        in_r1 = np.full(n, -1, np.int64)
        in_set = np.full(n, -1, np.int64)
        buffer = np.empty(capacity, np.int64)
        for i in range(bounds[c], bounds[c + 1]):
            size = _expand_row(i, r1_ptr, r1_idx, rh_ptr, rh_idx, in_r1, in_set, buffer)
            if fill:
                indices[indptr[i]:indptr[i] + size] = np.sort(buffer[:size])
            else:
                counts[i] = size


@numba.njit(cache=True, fastmath={"contract"})
def _dots_of_pairs(features, rows, columns, count, out):
    """out[a] = f_i·f_j, i = rows[a], j = columns[a], for a < ``count``: eight
    independent sums advance together (each over the dimensions in order, so
    each equals :func:`_dot`), which keeps the floating-point units busy
    where one sum would wait on its own additions."""
    dim = features.shape[1]
    a = 0
    while a + 8 <= count:
        i0, i1, i2, i3 = rows[a], rows[a + 1], rows[a + 2], rows[a + 3]
        i4, i5, i6, i7 = rows[a + 4], rows[a + 5], rows[a + 6], rows[a + 7]
        j0, j1, j2, j3 = columns[a], columns[a + 1], columns[a + 2], columns[a + 3]
        j4, j5, j6, j7 = columns[a + 4], columns[a + 5], columns[a + 6], columns[a + 7]
        s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
        for d in range(dim):
            s0 += np.float64(features[i0, d]) * np.float64(features[j0, d])
            s1 += np.float64(features[i1, d]) * np.float64(features[j1, d])
            s2 += np.float64(features[i2, d]) * np.float64(features[j2, d])
            s3 += np.float64(features[i3, d]) * np.float64(features[j3, d])
            s4 += np.float64(features[i4, d]) * np.float64(features[j4, d])
            s5 += np.float64(features[i5, d]) * np.float64(features[j5, d])
            s6 += np.float64(features[i6, d]) * np.float64(features[j6, d])
            s7 += np.float64(features[i7, d]) * np.float64(features[j7, d])
        out[a], out[a + 1], out[a + 2], out[a + 3], out[a + 4], out[a + 5], out[a + 6], out[a + 7] = \
            s0, s1, s2, s3, s4, s5, s6, s7
        a += 8
    for b in range(a, count):
        out[b] = _dot(features, rows[b], columns[b])


@numba.njit(cache=True, parallel=True)
def _pair_dots(features, squared_norms, indptr, indices, bounds, dots):
    """dots[p] = f_i·f_j for every entry (i, j = indices[p]) of the sorted
    sets, each unordered pair computed once: the entry (i, j) with j > i
    also fills (j, i) when present; (i, j) with j < i is left to row j then.
    Each chunk gathers its pairs and computes them eight at a time."""
    for c in numba.prange(bounds.size - 1):
        entries = indptr[bounds[c + 1]] - indptr[bounds[c]]
        rows, columns = np.empty(entries, np.int64), np.empty(entries, np.int64)
        positions, values = np.empty(entries, np.int64), np.empty(entries, np.float64)
        count = 0
        for i in range(bounds[c], bounds[c + 1]):
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                if j == i:
                    dots[p] = squared_norms[i]
                elif j > i or _find(indices, indptr[j], indptr[j + 1], i) < 0:
                    rows[count], columns[count], positions[count] = i, j, p
                    count += 1
        _dots_of_pairs(features, rows, columns, count, values)
        for a in range(count):
            i, j = rows[a], columns[a]
            dots[positions[a]] = values[a]
            if j > i:
                mirror = _find(indices, indptr[j], indptr[j + 1], i)
                if mirror >= 0:
                    dots[mirror] = values[a]


@numba.njit(cache=True, parallel=True)
def _softmax_rows(squared_norms, indptr, indices, values):
    """Per row, in place: the dot products f_i·f_j become
    softmax_j(−‖f_i − f_j‖²), ‖f_i − f_j‖² = ‖f_i‖² + ‖f_j‖² − 2 f_i·f_j."""
    for i in numba.prange(indptr.size - 1):
        start, stop = indptr[i], indptr[i + 1]
        top = -np.inf
        for p in range(start, stop):
            values[p] = -(squared_norms[i] + squared_norms[indices[p]] - 2.0 * values[p])
            top = max(top, values[p])
        total = 0.0
        for p in range(start, stop):
            values[p] = np.exp(values[p] - top)
            total += values[p]
        for p in range(start, stop):
            values[p] = values[p] / total


def expanded_weights(features: np.ndarray, r1: tuple, rh: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows V[i] over R*(i) as CSR (indptr, indices, float64 weights)."""
    n = features.shape[0]
    (r1_ptr, r1_idx), (rh_ptr, rh_idx) = r1, rh
    max_r1 = int(np.diff(r1_ptr).max(initial=0))
    max_rh = int(np.diff(rh_ptr).max(initial=0))
    capacity = max(1, max_r1 * (1 + max_rh))
    bounds = _chunk_bounds(n)
    counts = np.zeros(n, np.int64)
    empty = np.empty(0, np.int64)
    _expanded_sets(r1_ptr, r1_idx, rh_ptr, rh_idx, bounds, counts, empty, empty, capacity, False)
    indptr = _offsets(counts)
    indices = np.empty(indptr[-1], np.int64)
    _expanded_sets(r1_ptr, r1_idx, rh_ptr, rh_idx, bounds, counts, indptr, indices, capacity, True)
    squared_norms = _squared_norms(features)
    weights = np.empty(indptr[-1], np.float64)
    _pair_dots(features, squared_norms, indptr, indices, bounds, weights)
    _softmax_rows(squared_norms, indptr, indices, weights)
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


@numba.njit(cache=True)
def _columns(v_ptr, v_idx, v_val):
    """The column view of V (CSC): for each column k, the rows holding it in
    increasing order and their values."""
    n = v_ptr.size - 1
    c_ptr = np.zeros(n + 1, np.int64)
    for p in range(v_idx.size):
        c_ptr[v_idx[p] + 1] += 1
    for k in range(n):
        c_ptr[k + 1] += c_ptr[k]
    next_free = c_ptr[:-1].copy()
    c_idx = np.empty(v_idx.size, np.int64)
    c_val = np.empty(v_idx.size, np.float64)
    for i in range(n):
        for p in range(v_ptr[i], v_ptr[i + 1]):
            q = next_free[v_idx[p]]
            next_free[v_idx[p]] += 1
            c_idx[q] = i
            c_val[q] = v_val[p]
    return c_ptr, c_idx, c_val


@numba.njit(cache=True, parallel=True)
def _pair_capacity(rows, upper, v_ptr, v_idx, v_val, c_ptr, max_distance):
    """A bound on each row's stored pairs: the column entries it visits, at
    most the candidate columns (N, or N − i for the upper triangle), and,
    for ``max_distance`` < 1, at most 1 + Σ_j S(i, j) / s_min: a stored pair
    j ≠ i has d_J < max_distance, i.e. S(i, j) > s_min = 2(1 − m)/(2 − m),
    and Σ_j S(i, j) ≤ Σ_k V[i,k]·|column k| (each min at most V[i,k])."""
    n = v_ptr.size - 1
    capacity = np.empty(rows.size, np.int64)
    s_min = 2.0 * (1.0 - max_distance) / (2.0 - max_distance) if max_distance < 1.0 else 0.0
    for t in numba.prange(rows.size):
        i = rows[t]
        visited = 0
        mass = 0.0
        for p in range(v_ptr[i], v_ptr[i + 1]):
            column_size = c_ptr[v_idx[p] + 1] - c_ptr[v_idx[p]]
            visited += column_size
            mass += v_val[p] * column_size
        bound = min(visited, n - i if upper else n)
        if max_distance <= 0.0:
            bound = 0
        elif s_min > 0.0:
            bound = min(bound, 2 + np.int64(mass / s_min * (1.0 + 1e-6)))
        capacity[t] = bound
    return capacity


@numba.njit(cache=True)
def _distance(i, j, shared):
    """d_J(i, j) = 1 − S/(2 − S) clipped at 0; d(i, i) = 0 exactly (S = Σ_k V[i,k] = 1 up to rounding)."""
    return 0.0 if j == i else max(0.0, 1.0 - shared / (2.0 - shared))


@numba.njit(cache=True, parallel=True)
def _jaccard_rows(rows, first, upper, v_ptr, v_idx, v_val, c_ptr, c_idx, c_val, max_distance, bounds, slots, counts,
                  out_idx, out_val, shared, stamp, touched):
    """Rows t = ``first`` + bounds[0] … ``first`` + bounds[-1] − 1 of ``rows``:
    their pairs (j, d_J(i, j)) with d_J < ``max_distance`` (j ≥ i only when
    ``upper``), sorted by j, into out[slots[t − first]:], their number into
    counts[t − first]. ``shared``, ``stamp``, ``touched``: each thread's
    O(N) scratch (stamp marks the columns met for row t)."""
    for c in numba.prange(bounds.size - 1):
        thread = numba.get_thread_id()
        accumulated, met, candidates = shared[thread], stamp[thread], touched[thread]
        for local in range(bounds[c], bounds[c + 1]):
            t = first + local
            i = rows[t]
            size = 0
            for p in range(v_ptr[i], v_ptr[i + 1]):
                k = v_idx[p]
                vik = v_val[p]
                start = _first_at_least(c_idx, c_ptr[k], c_ptr[k + 1], i) if upper else c_ptr[k]
                for q in range(start, c_ptr[k + 1]):
                    j = c_idx[q]
                    if met[j] != t:
                        met[j] = t
                        accumulated[j] = 0.0
                        candidates[size] = j
                        size += 1
                    accumulated[j] += min(vik, c_val[q])
            kept = 0
            for a in range(size):
                j = candidates[a]
                if _distance(i, j, accumulated[j]) < max_distance:
                    candidates[kept] = j
                    kept += 1
            counts[local] = kept
            if kept > slots[local + 1] - slots[local]:
                continue  # reported by the caller; nothing written past the row's slot
            candidates[:kept].sort()
            start = slots[local]
            for a in range(kept):
                j = candidates[a]
                out_idx[start + a] = j
                out_val[start + a] = np.float32(_distance(i, j, accumulated[j]))


@numba.njit(cache=True)
def _compact(slots, counts, slot_idx, slot_val):
    """The rows' pairs, stored from slots[r], packed one row after another."""
    total = counts.sum()
    indices = np.empty(total, np.int64)
    values = np.empty(total, np.float32)
    p = 0
    for r in range(counts.size):
        indices[p:p + counts[r]] = slot_idx[slots[r]:slots[r] + counts[r]]
        values[p:p + counts[r]] = slot_val[slots[r]:slots[r] + counts[r]]
        p += counts[r]
    return indices, values


@numba.njit(cache=True)
def _mirror_upper(upper_ptr, upper_idx, upper_val):
    """The symmetric matrix from its upper triangle (diagonal included),
    every row sorted: row i is (j, d) for the rows j < i holding i, in
    increasing j, then its own upper entries."""
    n = upper_ptr.size - 1
    lower = np.zeros(n, np.int64)
    for j in range(n):
        for p in range(upper_ptr[j], upper_ptr[j + 1]):
            if upper_idx[p] != j:
                lower[upper_idx[p]] += 1
    indptr = np.zeros(n + 1, np.int64)
    for i in range(n):
        indptr[i + 1] = indptr[i] + lower[i] + upper_ptr[i + 1] - upper_ptr[i]
    indices = np.empty(indptr[-1], np.int64)
    values = np.empty(indptr[-1], np.float32)
    next_free = indptr[:-1].copy()
    for j in range(n):
        for p in range(upper_ptr[j], upper_ptr[j + 1]):
            i = upper_idx[p]
            if i != j:
                indices[next_free[i]] = j
                values[next_free[i]] = upper_val[p]
                next_free[i] += 1
    for i in range(n):
        size = upper_ptr[i + 1] - upper_ptr[i]
        indices[next_free[i]:next_free[i] + size] = upper_idx[upper_ptr[i]:upper_ptr[i + 1]]
        values[next_free[i]:next_free[i] + size] = upper_val[upper_ptr[i]:upper_ptr[i + 1]]
    return indptr, indices, values


def _batches(capacity: np.ndarray, budget: int):
    """Consecutive row ranges whose capacities sum to at most ``budget`` (a
    single row may exceed it)."""
    ends = np.cumsum(capacity)
    start = 0
    while start < capacity.size:
        taken = ends[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, taken + budget, side="right")))
        yield start, stop
        start = stop


def jaccard_from_weights(v: tuple, max_distance: float, rows: np.ndarray | None = None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """d_J(i, j) = 1 − S/(2 − S), S = Σ_k min(V[i,k], V[j,k]), clipped at 0,
    for every pair sharing a column with d_J < max_distance, as CSR with
    float32 distances — for the given ``rows`` only (all rows when None:
    then each pair is computed once, from its upper-triangle row, and
    mirrored). Rows are processed in batches of at most
    ``_PAIR_BUFFER_ENTRIES`` candidate pairs."""
    v_ptr, v_idx, v_val = v
    n = v_ptr.size - 1
    upper = rows is None
    rows = np.arange(n, dtype=np.int64) if upper else np.ascontiguousarray(rows, dtype=np.int64)
    c_ptr, c_idx, c_val = _columns(v_ptr, v_idx, v_val)
    capacity = _pair_capacity(rows, upper, v_ptr, v_idx, v_val, c_ptr, max_distance)
    threads = numba.get_num_threads()
    shared = np.empty((threads, n), np.float64)
    stamp = np.full((threads, n), -1, np.int64)
    touched = np.empty((threads, n), np.int64)
    slot_entries = int(max(min(_PAIR_BUFFER_ENTRIES, capacity.sum()), capacity.max(initial=0)))
    slot_idx, slot_val = np.empty(slot_entries, np.int64), np.empty(slot_entries, np.float32)
    counts = np.zeros(rows.size, np.int64)
    indices, values = [], []
    for start, stop in _batches(capacity, _PAIR_BUFFER_ENTRIES):
        slots = _offsets(capacity[start:stop])
        _jaccard_rows(rows, start, upper, v_ptr, v_idx, v_val, c_ptr, c_idx, c_val, max_distance,
                      _chunk_bounds(stop - start), slots, counts[start:stop], slot_idx, slot_val, shared, stamp,
                      touched)
        if (counts[start:stop] > capacity[start:stop]).any():
            raise RuntimeError("Jaccard distance: a row has more pairs within max_distance than its bound allows "
                               "(_pair_capacity); please report this with the features")
        batch_indices, batch_values = _compact(slots, counts[start:stop], slot_idx, slot_val)
        indices.append(batch_indices)
        values.append(batch_values)
    indptr = _offsets(counts)
    indices = np.concatenate(indices) if indices else np.empty(0, np.int64)
    values = np.concatenate(values) if values else np.empty(0, np.float32)
    return _mirror_upper(indptr, indices, values) if upper else (indptr, indices, values)
