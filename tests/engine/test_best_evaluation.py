"""The best evaluation: strictly greater mAP of the first test set wins,
model_best is saved then, the state survives a checkpoint."""

from __future__ import annotations

from fastreid.engine import hooks

from hhcl.engine import BestEvaluationHook, format_results_table
from hhcl.engine.best_evaluation import PeriodicCheckpointerWithoutBest, per_dataset, with_best_evaluation


class ToyTrainer:
    max_epoch = 6

    def __init__(self):
        self.epoch = 0


def evaluation(market_map, duke_map=10.0):
    return {"Market": {"mAP": market_map, "Rank-1": market_map + 1}, "Duke": {"mAP": duke_map, "Rank-1": 0.0}}


def run(hook, evaluations):
    """evaluations: {epochs trained: results}; an evaluation after epoch e+1."""
    trainer = hook.trainer = ToyTrainer()
    for epoch in range(trainer.max_epoch):
        trainer.epoch = epoch
        if epoch + 1 in evaluations:
            trainer._last_eval_results = evaluations[epoch + 1]
        hook.after_epoch()
    hook.after_train()


def test_strictly_greater_map_of_the_first_test_set_wins():
    saved = []
    hook = BestEvaluationHook("Market", save_best=lambda **extra: saved.append(extra))
    run(hook, {2: evaluation(40.0, duke_map=90.0), 4: evaluation(55.0), 6: evaluation(55.0, duke_map=99.0)})
    assert hook.epoch == 4 and hook.results == evaluation(55.0)  # the tie at epoch 6 does not replace it
    assert saved == [{"epoch": 1}, {"epoch": 3}]  # the checkpoint "epoch" key: the last epoch index trained


def test_a_later_drop_keeps_the_earlier_best_and_the_final_evaluation_counts():
    saved = []
    hook = BestEvaluationHook("Market", save_best=lambda **extra: saved.append(extra))
    trainer = hook.trainer = ToyTrainer()
    for epoch, results in ((1, evaluation(30.0)), (3, evaluation(20.0))):
        trainer.epoch = epoch
        trainer._last_eval_results = results
        hook.after_epoch()
    trainer.epoch = trainer.max_epoch - 1
    hook.after_epoch()  # no new evaluation: nothing changes
    trainer._last_eval_results = evaluation(31.0)  # the evaluation EvalHook runs after training
    hook.after_train()
    assert hook.epoch == 6 and hook.best_map == 31.0 and len(saved) == 2


def test_single_dataset_results_as_fastreid_flattens_them():
    hook = BestEvaluationHook("Market", save_best=lambda **extra: None)
    run(hook, {3: {"mAP": 12.0, "Rank-1": 20.0}})  # FastReID's results of the single test set
    assert hook.epoch == 3 and hook.results == {"Market": {"mAP": 12.0, "Rank-1": 20.0}}
    assert per_dataset({}) == {}


def test_state_round_trip():
    hook = BestEvaluationHook("Market", save_best=lambda **extra: None)
    run(hook, {2: evaluation(40.0)})
    restored = BestEvaluationHook("Market", save_best=lambda **extra: None)
    restored.load_state_dict(hook.state_dict())
    assert (restored.epoch, restored.results, restored.best_map) == (2, evaluation(40.0), 40.0)
    run(restored, {1: evaluation(39.0)})  # a resumed run keeps its better best
    assert restored.epoch == 2


def test_hook_order_and_checkpointer_replacement():
    best = BestEvaluationHook("Market", save_best=lambda **extra: None)
    evaluate = hooks.EvalHook(1, lambda: {})
    checkpointer = hooks.PeriodicCheckpointer(object(), 5)
    writer = hooks.IterationTimer()
    ordered = with_best_evaluation([writer, evaluate, checkpointer], best)
    assert ordered[:3] == [writer, evaluate, best]
    assert type(ordered[3]) is PeriodicCheckpointerWithoutBest and ordered[3].period == 5


def test_checkpointer_never_writes_model_best():
    class Recorder:
        def __init__(self):
            self.names = []

        def save(self, name, **extra):
            self.names.append((name, extra))

    recorder = Recorder()
    periodic = PeriodicCheckpointerWithoutBest(recorder, 2)
    periodic.max_epoch = 5
    for epoch in range(5):
        periodic.step(epoch, metric=99.0)
    assert recorder.names == [("model_0001", {"epoch": 1, "metric": 99.0}), ("model_0003", {"epoch": 3, "metric": 99.0}),
                              ("model_final", {"epoch": 4, "metric": 99.0})]


def test_final_table_labels_last_and_best():
    table = format_results_table(evaluation(50.0), "t", last_epoch=6, best=(4, evaluation(55.0)))
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in table.splitlines()[3:]]
    assert [row[:3] for row in rows] == [["Market", "last (epoch 6)", "50.00"], ["Duke", "last (epoch 6)", "10.00"],
                                        ["Market", "best mAP (epoch 4)", "55.00"], ["Duke", "best mAP (epoch 4)",
                                                                                    "10.00"]]


def test_state_holds_plain_floats_that_load_with_weights_only(tmp_path):
    import numpy as np
    import torch

    hook = BestEvaluationHook("Market", save_best=lambda **extra: None)
    run(hook, {2: {"Market": {"mAP": np.float64(40.0), "Rank-1": np.float32(50.0)}}})
    torch.save({"best_evaluation": hook.state_dict()}, tmp_path / "checkpoint.pth")
    loaded = torch.load(tmp_path / "checkpoint.pth", weights_only=True)["best_evaluation"]
    assert loaded == {"epoch": 2, "results": {"Market": {"mAP": 40.0, "Rank-1": 50.0}}}
    assert type(loaded["results"]["Market"]["mAP"]) is float
