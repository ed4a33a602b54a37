"""Stopping a training run cleanly when the cluster scheduler asks: SIGTERM
(or SIGINT, Ctrl-C) ends the run after the current step with a checkpoint
to ``--resume`` from."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import torch
from fastreid.utils import comm

#: The signals a scheduler (SIGTERM) or a user (SIGINT) sends before killing a job.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopSignals:
    """A context in which :data:`STOP_SIGNALS` are requests to stop after the
    current training step instead of ending the process. A second signal
    ends the process the way the signal would without this context.

    Under ``torch.distributed`` the ranks agree (:meth:`requested` reduces
    the request over all ranks), so every rank stops after the same step.
    Handlers can only be installed from the main thread; elsewhere the
    context changes nothing."""

    def __init__(self) -> None:
        #: The name of the first signal received (``"SIGTERM"``), or None.
        self.received: str | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            self._previous = {signum: signal.signal(signum, self._handle) for signum in STOP_SIGNALS}
        return self

    def __exit__(self, *exc_info) -> None:
        self._restore()

    def _restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None:  # asked twice: stop now, as without this context
            self._restore()
            signal.raise_signal(signum)
            return
        self.received = signal.Signals(signum).name

    def requested(self) -> bool:
        """Whether any rank received a stop signal (a collective call under
        ``torch.distributed``: every rank calls it after every step)."""
        stop = self.received is not None
        if comm.get_world_size() > 1:
            flag = torch.tensor([int(stop)])
            if torch.distributed.get_backend() == "nccl":
                flag = flag.cuda()
            torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
            stop = bool(flag.item())
        return stop
