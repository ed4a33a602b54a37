"""FastReID's data pipeline on a machine without CUDA and on numpy 2 (see
docs/COMPAT.md). FastReID is imported inside the factories: it can only be
imported once the import-time patches are applied."""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch


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


def background_run_without_cuda(original: Callable) -> Callable:
    """``BackgroundGenerator.run``: without CUDA, no ``set_device``."""

    def run(self):
        if torch.cuda.is_available():
            return original(self)
        for item in self.generator:
            if self.exit_event.is_set():
                break
            self.queue.put(item)
        self.queue.put(None)

    return run


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
