#!/usr/bin/env python
"""The pseudo-label step (k-NN + sparse Jaccard + DBSCAN) from re-ID sizes to a million images.

Features with identity structure: ~17 images per identity, d = 2048,
identities in look-alike groups, 15% hard outliers near the groups; N =
12,936 is Market-1501's train set, 32,621 MSMT17's. Each run is a fresh
process that builds its features (seeded: the same N gives the same
features in every run) in one preallocated float32 array, chunk by chunk,
normalised in place (``--features-on-disk DIR``: a file there, memory-mapped);
that time is not part of the step's.

Per run: wall time of the k-NN search, of the Jaccard distance (steps 2–6
of docs/DESIGN.md, "Pseudo labels") and of DBSCAN, their total, the share
outside the k-NN relative to it, the process's CPU time, and the step's
peak memory — what the step adds on top of the features and libraries: the
larger of (a) the process's peak resident memory during the step (VmHWM,
its count restarted through /proc/self/clear_refs when the step starts)
minus its resident memory then, and (b) its peak anonymous memory
(RssAnon, sampled every 0.2 s by the parent process) minus that at the
start of the step; (b) still counts what the step holds when the kernel
drops pages of memory-mapped features. Labels are compared with the
identities (ARI, outliers as singletons) and, for approximate runs, with
the exact run of the same N (ARI) when both are in the run.

    python benchmarks/bench_pseudo_labels.py [--sizes 12936 32621 100000] [--approximate 100000 1000000]
        [--authors-code PATH] [--labeler NAME [--labeler-opts KEY VALUE ...]] [--repeats 1]
        [--features-on-disk DIR]

``--sizes``: runs with the exact k-NN (faiss IndexFlatL2); ``--approximate``:
runs with the index ``hnsw`` (faiss HNSW, float16). ``--authors-code PATH``: a
clone of the authors' release (alibaba/cluster-contrast-reid or
bupt-ai-cz/HHCL-ReID), imported from PATH at run time: its
``compute_jaccard_distance`` (clustercontrast/ or hhcl/ utils/faiss_rerank.py,
the CPU search, ``search_option=3``) and scikit-learn's ``DBSCAN(eps=0.6,
min_samples=4, metric="precomputed", n_jobs=-1)`` as its training script
calls them, run on the same features at each of ``--sizes`` whose dense
N×N matrices fit in the available memory; its k-NN time is read by timing
the faiss index its code builds (nothing else of it is changed). The
side-by-side ratios are printed after the table. ``--labeler NAME``: also
times that ``PSEUDO_LABELS.METHOD`` (any name in LABELER_REGISTRY, e.g.
infomap) built from the default config with ``--labeler-opts`` merged in,
at each of ``--sizes`` (exact) and ``--approximate`` (hnsw). The load
average (os.getloadavg) is printed at the start and at the end: other
processes on the machine slow every figure; ``--repeats R`` runs every
configuration R times, in R rounds over all of them, and gives the median
times.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np
from memory_stats import memory_mb, reset_peak_memory

DIM, PER_ID, GROUP, K1, K2, EPS, MIN_SAMPLES = 2048, 17, 4, 30, 6, 0.6, 4
GENERATION_CHUNK = 4096
NAMES = {12936: "Market-1501", 32621: "MSMT17"}
#: The authors' step holds about three dense N×N float32 matrices (V, its query expansion, the distances).
AUTHORS_BYTES_PER_PAIR = 3 * 4
AUTHORS_MODULES = ("clustercontrast/utils", "hhcl/utils")
#: Seconds between samples of a run's anonymous memory.
ANON_SAMPLE_S = 0.2


def identity_features(n: int, seed: int = 0, path: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """L2-normalised float32 N×2048 features and ids (−1 for the hard
    outliers), written chunk by chunk into one preallocated array and
    normalised in place: no second copy of the features is ever held. With
    ``path``, the array is a .npy file there, memory-mapped and flushed (its
    pages are the kernel's to drop and read back)."""
    rng = np.random.default_rng(seed)
    inliers = int(round(0.85 * n))
    num_ids = max(1, inliers // PER_ID)
    groups = rng.standard_normal((num_ids // GROUP + 1, DIM), dtype=np.float32)
    centres = rng.standard_normal((num_ids, DIM), dtype=np.float32)
    centres *= 0.8
    centres += groups[np.arange(num_ids) // GROUP]
    ids = np.concatenate([np.arange(num_ids).repeat(PER_ID), rng.integers(0, num_ids, inliers - num_ids * PER_ID)])
    outlier_groups = rng.integers(0, len(groups), n - inliers)
    features = np.empty((n, DIM), dtype=np.float32) if path is None else \
        np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, DIM))
    for start in range(0, n, GENERATION_CHUNK):
        stop = min(n, start + GENERATION_CHUNK)
        block = features[start:stop]
        rng.standard_normal(out=block, dtype=np.float32)
        split = min(max(inliers - start, 0), stop - start)  # rows of the block that are inliers
        block[:split] *= 0.6
        block[:split] += centres[ids[start:start + split]]
        if split < stop - start:
            block[split:] *= 1.2
            block[split:] += groups[outlier_groups[start + split - inliers:stop - inliers]]
        block /= np.linalg.norm(block, axis=1, keepdims=True)
    if path is not None:
        features.flush()
    return features, np.concatenate([ids, np.full(n - inliers, -1)])


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class StepClock:
    """Wall time of named stages of the step, its CPU time and its peak memory."""

    def __init__(self):
        self.stages: dict[str, float] = {}
        self.rss_mb, self.anon_mb = memory_mb("VmRSS"), memory_mb("RssAnon")
        reset_peak_memory()
        self.cpu = cpu_seconds()
        self.last = self.start = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self.last
        self.last = now

    def result(self) -> dict:
        wall = self.last - self.start
        return {"stages": self.stages, "wall_s": wall, "outside_knn_s": wall - self.stages.get("k-NN", 0.0),
                "cpu_s": cpu_seconds() - self.cpu, "step_mb": memory_mb("VmHWM") - self.rss_mb,
                "anon_before_step_mb": self.anon_mb}


def run_ours(features: np.ndarray, knn_index: str) -> tuple[np.ndarray, dict]:
    from hhcl.clustering import dbscan, jaccard_from_neighbours, knn_search

    keep_below = float(np.nextafter(np.float32(EPS), np.float32(np.inf)))
    clock = StepClock()
    _, neighbours = knn_search(features, K1, knn_index)
    clock.lap("k-NN")
    distances = jaccard_from_neighbours(features, neighbours, K2, max_distance=keep_below)
    clock.lap("Jaccard")
    labels = dbscan(distances, eps=EPS, min_samples=MIN_SAMPLES)
    clock.lap("DBSCAN")
    return labels, clock.result() | {"pairs": int(distances.nnz)}


def import_authors_rerank(path: str) -> types.ModuleType:
    """The authors' faiss_rerank module from a clone at ``path``, imported
    under a private package name (their package may be called ``hhcl``)
    without running their package's __init__."""
    for folder in AUTHORS_MODULES:
        if (Path(path) / folder / "faiss_rerank.py").is_file():
            package = types.ModuleType("authors_release_utils")
            package.__path__ = [str(Path(path) / folder)]
            sys.modules[package.__name__] = package
            return importlib.import_module(f"{package.__name__}.faiss_rerank")
    raise SystemExit(f"--authors-code {path}: no {' or '.join(f + '/faiss_rerank.py' for f in AUTHORS_MODULES)} "
                     f"there; give the root of a clone of alibaba/cluster-contrast-reid or bupt-ai-cz/HHCL-ReID")


class TimedIndex:
    """A faiss index whose ``search`` time is recorded (the authors' k-NN)."""

    def __init__(self, index, times: list):
        self.index, self.times = index, times

    def add(self, x) -> None:
        start = time.perf_counter()
        self.index.add(x)
        self.times.append(time.perf_counter() - start)

    def search(self, x, k):
        start = time.perf_counter()
        result = self.index.search(x, k)
        self.times.append(time.perf_counter() - start)
        return result


def run_authors(features: np.ndarray, path: str) -> tuple[np.ndarray, dict]:
    import torch
    from sklearn.cluster import DBSCAN

    from hhcl.clustering import relabel_by_first_appearance

    rerank = import_authors_rerank(path)
    knn_times: list[float] = []
    make_index = rerank.index_init_cpu
    rerank.index_init_cpu = lambda dim: TimedIndex(make_index(dim), knn_times)
    tensor = torch.from_numpy(features)  # shares the array's memory
    clock = StepClock()
    distances = rerank.compute_jaccard_distance(tensor, k1=K1, k2=K2, print_flag=False, search_option=3)
    clock.lap("Jaccard")
    labels = DBSCAN(eps=EPS, min_samples=MIN_SAMPLES, metric="precomputed", n_jobs=-1).fit_predict(distances)
    clock.lap("DBSCAN")
    result = clock.result()
    result["stages"] = {"k-NN": sum(knn_times), "Jaccard": result["stages"]["Jaccard"] - sum(knn_times),
                        "DBSCAN": result["stages"]["DBSCAN"]}
    result["outside_knn_s"] = result["wall_s"] - sum(knn_times)
    return relabel_by_first_appearance(labels), result | {"pairs": int(distances.size)}


def labeler_config(name: str, knn_index: str, options: list[str]):
    """The default config with PSEUDO_LABELS.METHOD ``name``, KNN_INDEX ``knn_index`` and ``options``."""
    from fastreid.config import get_cfg

    from hhcl import add_hhcl_config
    from hhcl.config import merge_config_list

    cfg = get_cfg()
    add_hhcl_config(cfg)
    merge_config_list(cfg, ["PSEUDO_LABELS.METHOD", name, "PSEUDO_LABELS.KNN_INDEX", knn_index, *options])
    return cfg


def run_labeler(features: np.ndarray, ids: np.ndarray, knn_index: str, name: str, options: list[str]
                ) -> tuple[np.ndarray, dict]:
    import torch

    from hhcl.labelers import KnnLabeler, build_labeler

    cfg = labeler_config(name, knn_index, options)
    items = [(f"{i}.jpg", f"id{ids[i]}" if ids[i] >= 0 else f"outlier{i}", 0) for i in range(len(ids))]
    labeler = build_labeler(cfg, items)
    tensor = torch.from_numpy(features)
    clock = StepClock()
    if isinstance(labeler, KnnLabeler):  # KnnLabeler.__call__, split at the search
        labeler.check_memory(tensor, world_size=1, labels_here=True)
        neighbours = labeler.search_neighbours(tensor, slice(None))
        clock.lap("k-NN")
        labels = labeler.label(tensor, None, neighbours)
    else:
        labels = labeler(tensor, None)
    clock.lap("labeling")
    return np.asarray(labels), clock.result()


def run_one(n: int, method: str, knn_index: str, args: argparse.Namespace) -> dict:
    """One run in this (fresh) process; the labels go to ``args.labels_out``."""
    from hhcl.clustering import as_singletons, jaccard_dbscan, pseudo_label_quality

    jaccard_dbscan(np.eye(40, 8, dtype=np.float32) + 0.01, eps=0.5, k1=10, k2=3)  # compile / load the kernels
    path = None if args.features_on_disk is None else \
        os.path.join(args.features_on_disk, f"bench_pseudo_labels_{os.getpid()}.npy")
    try:
        start = time.perf_counter()
        features, ids = identity_features(n, path=path)
        generation_s = time.perf_counter() - start
        if method == "ours":
            labels, result = run_ours(features, knn_index)
        elif method == "authors":
            labels, result = run_authors(features, args.authors_code)
        else:
            labels, result = run_labeler(features, ids, knn_index, args.labeler, args.labeler_opts)
    finally:
        if path is not None and os.path.exists(path):
            os.remove(path)
    np.save(args.labels_out, labels)
    quality = pseudo_label_quality(labels, as_singletons(ids))
    return result | {"n": n, "method": method, "index": knn_index, "generation_s": generation_s,
                     "features_mb": features.nbytes / 2**20, "clusters": quality["num_clusters"],
                     "outliers": quality["num_outliers"], "ari": quality["ari"]}


def in_subprocess(n: int, method: str, knn_index: str, args: argparse.Namespace, labels_out: str) -> dict:
    command = [sys.executable, __file__, "--one", str(n), "--method", method, "--index", knn_index,
               "--labels-out", labels_out]
    if args.authors_code:
        command += ["--authors-code", args.authors_code]
    if args.labeler:
        command += ["--labeler", args.labeler, "--labeler-opts", *args.labeler_opts]
    if args.features_on_disk:
        command += ["--features-on-disk", args.features_on_disk]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_anon_mb = 0.0
    while True:  # the child's anonymous memory, sampled from here: no thread of the child is needed
        try:
            stdout, stderr = child.communicate(timeout=ANON_SAMPLE_S)
            break
        except subprocess.TimeoutExpired:
            peak_anon_mb = max(peak_anon_mb, anonymous_mb(child.pid))
    if child.returncode < 0:
        raise RuntimeError(f"{' '.join(command)} was killed by signal {-child.returncode}"
                           + (" (SIGKILL: most likely out of memory)" if child.returncode == -9 else ""))
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr[-3000:]}")
    result = json.loads(stdout.splitlines()[-1])
    result["step_mb"] = max(result["step_mb"], peak_anon_mb - result["anon_before_step_mb"])
    return result


def anonymous_mb(pid: int) -> float:
    """RssAnon of process ``pid`` in MB (0 once it has exited)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def median_of(runs: list[dict]) -> dict:
    """The first run with each time the median over ``runs`` and the step
    memory their largest."""
    merged = dict(runs[0])
    merged["stages"] = {stage: float(np.median([r["stages"][stage] for r in runs])) for stage in runs[0]["stages"]}
    for key in ("wall_s", "cpu_s", "outside_knn_s"):
        merged[key] = float(np.median([r[key] for r in runs]))
    merged["step_mb"] = max(r["step_mb"] for r in runs)
    return merged


def available_mb() -> float:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    raise KeyError("MemAvailable")


def load() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg()) + f" (1 / 5 / 15 min, {os.cpu_count()} CPUs)"


def plan(args: argparse.Namespace) -> list[tuple[int, str, str]]:
    """(N, method, index) of every run, in order: per N the exact run
    first (the reference of the approximate one), then the authors', then the labeler's."""
    runs = []
    for n in sorted(set(args.sizes) | set(args.approximate)):
        indexes = (["exact"] if n in args.sizes else []) + (["hnsw"] if n in args.approximate else [])
        runs += [(n, "ours", index) for index in indexes]
        if args.authors_code and n in args.sizes:
            runs.append((n, "authors", "exact"))
        if args.labeler:
            runs += [(n, "labeler", index) for index in indexes]
    return runs


def table_row(r: dict, ari_vs_exact: str, labeler: str | None) -> str:
    stages = r["stages"]
    knn = stages.get("k-NN")
    method = {"ours": "this plugin", "authors": "authors' release", "labeler": f"labeler {labeler}"}[r["method"]]
    rest = r["outside_knn_s"]
    cells = [f"{r['n']:,}", NAMES.get(r["n"], ""), method, r["index"],
             f"{knn:.1f}" if knn is not None else "—",
             f"{stages['Jaccard']:.2f}" if "Jaccard" in stages else "—",
             f"{stages['DBSCAN']:.2f}" if "DBSCAN" in stages else (f"{stages['labeling']:.2f} (labeling)"
                                                                    if "labeling" in stages else "—"),
             f"{r['wall_s']:.1f}", f"{100 * rest / knn:.1f}%" if knn else "—", f"{r['cpu_s']:.1f}",
             f"{r['step_mb'] / 1024:.2f}", f"{r['features_mb'] / 1024:.2f}", f"{r['generation_s']:.0f}",
             f"{r['pairs']:,}" if "pairs" in r else "—", f"{r['clusters']:,}", f"{r['ari']:.3f}", ari_vs_exact]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[12936, 32621, 100000],
                        help="sizes run with the exact k-NN (and the authors' code, the labeler)")
    parser.add_argument("--approximate", type=int, nargs="*", default=[],
                        help="sizes run with the approximate (HNSW) k-NN, ARI against exact where both run")
    parser.add_argument("--authors-code", metavar="PATH",
                        help="root of a clone of the authors' release, timed side by side at --sizes")
    parser.add_argument("--labeler", metavar="NAME", help="also time this PSEUDO_LABELS.METHOD (LABELER_REGISTRY)")
    parser.add_argument("--labeler-opts", nargs="*", default=[], metavar="KEY VALUE",
                        help="config overrides for --labeler, e.g. PSEUDO_LABELS.K1 15")
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of each (fresh processes); the table gives the median times, the largest memory")
    parser.add_argument("--features-on-disk", metavar="DIR",
                        help="memory-map the features from a file in DIR (on disk, not tmpfs), so that the kernel "
                             "can drop their pages instead of running out of memory")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--method", default="ours", help=argparse.SUPPRESS)
    parser.add_argument("--index", default="exact", help=argparse.SUPPRESS)
    parser.add_argument("--labels-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.method, args.index, args)))
        return
    if args.authors_code:
        import_authors_rerank(args.authors_code)  # a clear error now rather than after the first runs
    if args.labeler:
        from hhcl.labelers import LABELER_REGISTRY
        from hhcl.registry import UnregisteredNameError
        try:
            LABELER_REGISTRY.get(args.labeler)
            labeler_config(args.labeler, "exact", args.labeler_opts)
        except (UnregisteredNameError, KeyError, ValueError, AssertionError) as error:
            parser.error(f"--labeler {args.labeler} --labeler-opts {' '.join(args.labeler_opts)}: {error}")
    if any(n < K1 for n in args.sizes + args.approximate):
        parser.error(f"every size must be at least k1 = {K1}")
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")

    print(f"Load average at the start: {load()}" + (f"; times: median of {args.repeats} runs" if args.repeats > 1
                                                    else ""), flush=True)
    print("| N | set | code | k-NN index | k-NN s | Jaccard s | DBSCAN s | total s | outside k-NN / k-NN | CPU s "
          "| step peak GB | features GB | generation s | stored pairs | clusters | ARI vs ids | ARI vs exact |")
    print("|--:|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|", flush=True)
    from sklearn.metrics import adjusted_rand_score

    from hhcl.clustering import as_singletons

    runs = []
    for n, method, index in plan(args):
        if method == "authors" and AUTHORS_BYTES_PER_PAIR * n * n / 2**20 > 0.9 * available_mb():
            print(f"Skipped: the authors' release at N = {n:,}: its dense matrices need ≈ "
                  f"{AUTHORS_BYTES_PER_PAIR * n * n / 2**30:.1f} GB, {available_mb() / 1024:.1f} GB available")
        else:
            runs.append((n, method, index))
    repeats, results, labels = {}, {}, {}
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(args.repeats):  # rounds, so that a change of load reaches every configuration
            for key in runs:
                n, method, index = key
                labels_out = os.path.join(folder, f"{n}_{method}_{index}.npy")
                repeats.setdefault(key, []).append(in_subprocess(n, method, index, args, labels_out))
                if round_ < args.repeats - 1:
                    continue
                results[key] = median_of(repeats[key])
                labels[key] = np.load(labels_out)
                # the same code's exact run; the authors' labels against this plugin's exact ones
                reference_key = (n, "ours", "exact") if method == "authors" else (n, method, "exact")
                reference = labels.get(reference_key) if reference_key != key else None
                ari_vs_exact = "—" if reference is None else \
                    f"{adjusted_rand_score(as_singletons(reference), as_singletons(labels[key])):.3f}"
                print(table_row(results[key], ari_vs_exact, args.labeler), flush=True)
    print(f"\nLoad average at the end: {load()}")
    for (n, method, index), theirs in results.items():
        ours = results.get((n, "ours", "exact"))
        if method != "authors" or ours is None:
            continue
        ours_rest, theirs_rest = ours["outside_knn_s"], theirs["outside_knn_s"]
        print(f"Side by side at N = {n:,} (same features, same run): whole step {theirs['wall_s']:.1f} s (authors) / "
              f"{ours['wall_s']:.1f} s (this plugin) = {theirs['wall_s'] / ours['wall_s']:.1f}×; outside the k-NN "
              f"{theirs_rest:.2f} s / {ours_rest:.2f} s = {theirs_rest / ours_rest:.0f}×; step peak memory "
              f"{theirs['step_mb'] / 1024:.2f} GB / {ours['step_mb'] / 1024:.2f} GB = "
              f"{theirs['step_mb'] / ours['step_mb']:.0f}×.")


if __name__ == "__main__":
    main()
