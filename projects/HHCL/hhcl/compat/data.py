"""FastReID's data pipeline on a machine without CUDA and on numpy 2, with
loader threads whose errors reach the consumer and that stop when asked (see
docs/COMPAT.md). FastReID is imported inside the factories: it can only be
imported once the import-time patches are applied."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable

import numpy as np
import torch

#: Seconds a loader thread waits for room in its queue, and its consumer for
#: a batch, before checking again whether the other side has stopped.
POLL_S = 0.1

#: Seconds :func:`stop_background_generator` waits for a thread to end.
STOP_TIMEOUT_S = 60.0


def loader_init_without_cuda(original: Callable) -> Callable:
    """``DataLoaderX.__init__``: without CUDA, no side stream and no
    ``pin_memory``; with CUDA, FastReID's."""

    def __init__(self, local_rank, **kwargs):
        if torch.cuda.is_available():
            return original(self, local_rank, **kwargs)
        kwargs["pin_memory"] = False
        torch.utils.data.DataLoader.__init__(self, **kwargs)
        self.stream = None
        self.local_rank = local_rank

    return __init__


def loader_preload_without_stream(original: Callable) -> Callable:
    """``DataLoaderX.preload``: without a stream the next batch stays on the CPU."""

    def preload(self):
        if self.stream is not None:
            return original(self)
        self.batch = next(self.iter, None)

    return preload


def loader_next_without_stream(original: Callable) -> Callable:
    """``DataLoaderX.__next__``: without a stream, no CUDA synchronisation."""

    def __next__(self):
        if self.stream is not None:
            return original(self)
        batch = self.batch
        if batch is None:
            raise StopIteration
        self.preload()
        return batch

    return __next__


class _LoaderFailure:
    """An exception of a loader thread, on its way through the queue to the consumer."""

    def __init__(self, error: BaseException):
        self.error = error


def _put(generator: Any, item: Any) -> bool:
    """Put ``item`` in the queue of ``generator`` (a ``BackgroundGenerator``),
    waiting for room until its ``exit_event`` is set; whether it was put."""
    while True:
        try:
            generator.queue.put(item, timeout=POLL_S)
            return True
        except queue.Full:
            if generator.exit_event.is_set():
                return False


def background_run_handing_over_errors(original: Callable) -> Callable:
    """``BackgroundGenerator.run``: ``set_device`` only with CUDA; any
    exception of the generator (a worker's too: torch re-raises it in this
    thread) goes through the queue to the consumer, which re-raises it; once
    ``exit_event`` is set, no wait for room in the queue outlasts
    :data:`POLL_S`. Otherwise FastReID's loop: the batches, then ``None``."""

    def run(self):
        try:
            if torch.cuda.is_available():
                torch.cuda.set_device(self.local_rank)
            for item in self.generator:
                if self.exit_event.is_set():
                    break
                if not _put(self, item):
                    return
            _put(self, None)
        except BaseException as error:  # any: the consumer re-raises it
            _put(self, _LoaderFailure(error))

    return run


def background_next_reraising(original: Callable) -> Callable:
    """``BackgroundGenerator.next``: the next batch; the loader thread's
    exception, itself (its traceback goes on into the thread), on this and
    every later call; ``StopIteration`` at the end, or once the thread has
    stopped on ``exit_event``: never a wait on a thread that has ended."""

    def next(self):
        while True:
            try:
                item = self.queue.get(timeout=POLL_S)
                break
            except queue.Empty:
                if not self.is_alive() and self.queue.empty():
                    raise StopIteration from None
        if isinstance(item, _LoaderFailure):
            self.queue.put_nowait(item)  # the thread has ended: the slot just freed is the last one used
            raise item.error
        if item is None:
            raise StopIteration
        return item

    return next


def loader_shutdown_without_raising(original: Callable) -> Callable:
    """``DataLoaderX._shutdown_background_thread``:
    :func:`stop_background_generator` (FastReID's drains the queue through
    ``next``, which would raise a failed thread's exception)."""

    def _shutdown_background_thread(self):
        stop_background_generator(self.iter)

    return _shutdown_background_thread


def stop_background_generator(generator: threading.Thread, timeout_s: float = STOP_TIMEOUT_S) -> None:
    """Stop a ``BackgroundGenerator`` thread: set its ``exit_event``, join it
    (it ends once the batch it is reading is done) and empty its queue. A
    thread still running after ``timeout_s`` is logged and left alone."""
    generator.exit_event.set()
    generator.join(timeout_s)
    while True:
        try:
            generator.queue.get_nowait()
        except queue.Empty:
            break
    if generator.is_alive():
        logging.getLogger(__name__).warning(f"Data-loader thread {generator.name} did not stop within {timeout_s:g} s: "
                                            f"the process may abort when it exits (docs/COMPAT.md, row 13)")


def stop_background_loaders() -> None:
    """Stop every running ``BackgroundGenerator`` thread of this process
    (FastReID's data loaders prefetch in one each), all asked at once, then
    :func:`stop_background_generator` each. A daemon thread still running
    when the interpreter exits can abort it (exit status 134, docs/COMPAT.md
    row 13): tools call this on every exit path."""
    from fastreid.data.data_utils import BackgroundGenerator

    generators = [thread for thread in threading.enumerate() if isinstance(thread, BackgroundGenerator)]
    for generator in generators:
        generator.exit_event.set()
    for generator in generators:
        stop_background_generator(generator)


_MODE_DTYPES = {"I": np.int32, "I;16": np.int16, "F": np.float32}


def to_tensor_with_numpy(original: Callable) -> Callable:
    """``to_tensor`` reading PIL images with ``np.array`` (always a copy, no
    ``TypedStorage``), with the original's dtypes and values: uint8 modes give
    float32 in [0, 255], mode "1" gives {0, 255}, "I", "I;16" and "F" keep
    int32, int16 and float32. numpy arrays go to the original."""

    def to_tensor(pic):
        if isinstance(pic, np.ndarray):
            return original(pic)
        array = np.array(pic)
        if pic.mode == "1":
            array = array.astype(np.uint8) * 255
        elif pic.mode in _MODE_DTYPES:
            array = array.astype(_MODE_DTYPES[pic.mode])
        if array.ndim == 2:
            array = array[:, :, None]
        img = torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))
        return img.float() if img.dtype == torch.uint8 else img

    return to_tensor
