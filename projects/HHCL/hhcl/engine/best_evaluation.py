"""The best evaluation of a run, as the HHCL and Cluster Contrast releases report it."""

from __future__ import annotations

import logging
from typing import Callable, Mapping

from fastreid.engine import hooks
from fastreid.engine.train_loop import HookBase

logger = logging.getLogger(__name__)


def per_dataset(results: Mapping, name: str = "test") -> dict[str, dict[str, float]]:
    """``{dataset: {metric: value}}`` with plain floats, from what
    ``DefaultTrainer.test`` returns: FastReID flattens a single test set's
    results (named ``name`` here, or by a ``"dataset"`` entry), and its values
    are numpy scalars."""
    if not results:
        return {}
    if not all(isinstance(value, Mapping) for value in results.values()):
        results = {results.get("dataset", name): {k: v for k, v in results.items() if k != "dataset"}}
    return {name: {metric: float(value) for metric, value in metrics.items()} for name, metrics in results.items()}


class BestEvaluationHook(HookBase):
    """After every evaluation (placed right after FastReID's ``EvalHook``):
    when the mAP on ``dataset`` is strictly greater than every earlier one,
    keep the evaluation (all test sets, with its epoch: the number of epochs
    trained) and save the model as ``model_best`` through ``save_best``. This
    is the releases' rule (evaluate every ``TEST.EVAL_PERIOD`` epochs, keep
    the best-mAP checkpoint and report it); the last evaluation is reported
    beside it. Its state is checkpointed, so a resumed run keeps its best."""

    def __init__(self, dataset: str, save_best: Callable[..., None]):
        self.dataset = dataset
        self.save_best = save_best
        self.epoch = -1
        self.results: dict[str, dict[str, float]] = {}
        self._seen: object = None

    @property
    def best_map(self) -> float:
        return self.results[self.dataset]["mAP"] if self.results else float("-inf")

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "results": self.results}

    def load_state_dict(self, state: dict) -> None:
        self.epoch, self.results = int(state["epoch"]), {k: dict(v) for k, v in state["results"].items()}

    def after_epoch(self) -> None:
        self._consider(self.trainer.epoch + 1)

    def after_train(self) -> None:
        self._consider(min(self.trainer.epoch + 1, self.trainer.max_epoch))

    def _consider(self, epoch: int) -> None:
        latest = getattr(self.trainer, "_last_eval_results", None)
        if latest is None or latest is self._seen:
            return  # no new evaluation
        self._seen = latest
        results = per_dataset(latest, self.dataset)
        if self.dataset not in results or results[self.dataset]["mAP"] <= self.best_map:
            return
        self.epoch, self.results = epoch, results
        logger.info(f"Best mAP on {self.dataset} so far: {self.best_map:.2f} after epoch {epoch}; saving model_best")
        self.save_best(epoch=epoch - 1)


class PeriodicCheckpointerWithoutBest(hooks.PeriodicCheckpointer):
    """FastReID's ``PeriodicCheckpointer`` (``model_XXXX`` every period,
    ``model_final`` at the end) without its own ``model_best`` (chosen by
    (mAP + Rank-1)/2 at checkpoint periods only): :class:`BestEvaluationHook`
    writes ``model_best`` by the releases' rule."""

    def step(self, epoch: int, **kwargs) -> None:
        epoch = int(epoch)
        if (epoch + 1) % self.period == 0 and epoch < self.max_epoch - 1:
            self.checkpointer.save(f"model_{epoch:04d}", epoch=epoch, **kwargs)
        if epoch >= self.max_epoch - 1:
            self.checkpointer.save("model_final", epoch=epoch, **kwargs)


def with_best_evaluation(hook_list: list, best: BestEvaluationHook) -> list:
    """``hook_list`` with ``best`` right after the ``EvalHook`` (before the
    checkpointer saves the epoch) and FastReID's ``PeriodicCheckpointer``
    replaced by :class:`PeriodicCheckpointerWithoutBest`."""
    replaced = []
    for hook in hook_list:
        if type(hook) is hooks.PeriodicCheckpointer:
            hook = PeriodicCheckpointerWithoutBest(hook.checkpointer, hook.period)
        replaced.append(hook)
        if isinstance(hook, hooks.EvalHook):
            replaced.append(best)
    return replaced
