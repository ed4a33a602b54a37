"""label_on_all_ranks with 2 gloo processes: each searches the k-NN rows of
its shard, process 0 labels, and every process ends with the single-process
labels; a failure on one process stops both, naming it."""

from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from hhcl.clustering.memory_estimate import StepMemoryError
from hhcl.compat import end_process_groups
from hhcl.labelers import AgglomerativeLabeler, GroundTruthLabeler, JaccardDBSCANLabeler, label_on_all_ranks

from ..helpers import identities

WORLD = 2


def _features() -> torch.Tensor:
    """Clustered features with an odd number of rows (shards of unequal size)."""
    features = identities(n_ids=40, dim=16, seed=9)
    return torch.from_numpy(features[: len(features) - 1 + len(features) % 2])


def _labelers():
    return {"dbscan_torch": JaccardDBSCANLabeler(0.6, 4, 20, 6, "torch"),
            "dbscan_exact": JaccardDBSCANLabeler(0.6, 4, 20, 6, "exact"),
            "agglomerative": AgglomerativeLabeler(0.2, "min", 0.003, 8, "auto"),
            "ground_truth": GroundTruthLabeler(np.arange(len(_features())) % 5)}


class RecordsSearchedRows(JaccardDBSCANLabeler):
    def __init__(self, *args):
        super().__init__(*args)
        self.searched = []

    def search_neighbours(self, features, rows):
        self.searched.append((rows.start, rows.stop))
        return super().search_neighbours(features, rows)


class FailsOnRankOne(JaccardDBSCANLabeler):
    def check_memory(self, features, world_size, labels_here):
        if dist.get_rank() == 1:
            raise StepMemoryError("the step needs about 9 GiB more on cpu")


def _worker(rank: int, init_file: str, out_dir: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    try:
        features = _features()
        results = {name: label_on_all_ranks(labeler, features, None) for name, labeler in _labelers().items()}
        agglomerative = _labelers()["agglomerative"]
        results["agglomerative_stage_2"] = label_on_all_ranks(agglomerative, features, results["agglomerative"])
        recorder = RecordsSearchedRows(0.6, 4, 20, 6, "exact")
        label_on_all_ranks(recorder, features, None)
        results["searched_rows"] = recorder.searched
        try:
            label_on_all_ranks(FailsOnRankOne(0.6, 4, 20, 6, "exact"), features, None)
        except Exception as error:  # noqa: BLE001 — recorded for the test
            results["failure"] = (type(error).__name__, str(error))
        torch.save(results, f"{out_dir}/rank{rank}.pt")
    finally:
        end_process_groups()


def test_two_processes_give_the_single_process_labels(tmp_path):
    mp.spawn(_worker, args=(str(tmp_path / "init"), str(tmp_path)), nprocs=WORLD)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(WORLD)]
    features = _features()
    n = len(features)
    single = {name: labeler(features, None) for name, labeler in _labelers().items()}
    single["agglomerative_stage_2"] = _labelers()["agglomerative"](features, single["agglomerative"])
    for name, expected in single.items():
        for result in ranks:
            np.testing.assert_array_equal(result[name], expected, err_msg=name)
    assert single["dbscan_torch"].max() >= 20 and single["agglomerative_stage_2"].max() < single["agglomerative"].max()
    # Each process searched its own contiguous rows, together all of them.
    assert [result["searched_rows"] for result in ranks] == [[(0, n // 2)], [(n // 2, n)]]
    # The process that failed raises its own error; the other names it and does not wait.
    assert ranks[1]["failure"] == ("StepMemoryError", "the step needs about 9 GiB more on cpu")
    assert ranks[0]["failure"] == ("RuntimeError", "Pseudo labels failed on process 1: StepMemoryError: the step "
                                                   "needs about 9 GiB more on cpu")
