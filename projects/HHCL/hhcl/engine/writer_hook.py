"""FastReID's periodic writer, fixed so that evaluation results reach metrics.json and TensorBoard."""

from __future__ import annotations

from fastreid.engine import hooks


class EpochEndPeriodicWriter(hooks.PeriodicWriter):
    """``PeriodicWriter`` that leaves the last step of every epoch to its
    ``after_epoch`` write, and writes once more before closing.

    FastReID's writers keep only values of iterations newer than their last
    write. The stock hook also writes at an epoch's last step whenever that
    step is a multiple of its period (200) or the run's last step — before
    the evaluation hook has put the epoch's results at that same iteration,
    so those results never reached metrics.json or TensorBoard (with the
    paper's 200 steps per epoch: none ever did). And it closes its writers
    without writing the final evaluation that the evaluation hook runs after
    training (at the step after the last one) when the last epoch is not a
    multiple of ``TEST.EVAL_PERIOD``.
    """

    def after_step(self) -> None:
        if (self.trainer.iter + 1) % self.trainer.iters_per_epoch != 0:
            super().after_step()

    def after_train(self) -> None:
        for writer in self._writers:
            writer.write()
        super().after_train()


def with_epoch_end_writer(hook_list: list) -> list:
    """``hook_list`` with FastReID's ``PeriodicWriter`` replaced by
    :class:`EpochEndPeriodicWriter` (same writers, same period)."""
    return [EpochEndPeriodicWriter(hook._writers, hook._period) if type(hook) is hooks.PeriodicWriter else hook
            for hook in hook_list]
