"""Checkpoints: written atomically; a memory of any size loads."""

from __future__ import annotations

import os
from typing import Callable, IO

import torch
from fastreid.utils.checkpoint import Checkpointer

from ..modeling.memory import ClusterMemory


def atomic_write(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write ``path`` through a temporary file in the same folder, synced,
    then renamed over it: a crash or a full disk leaves the previous file
    whole and no partial one. The temporary file is removed on failure."""
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        with open(temporary, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


class AtomicCheckpointer(Checkpointer):
    """FastReID's ``Checkpointer`` whose checkpoint files and
    ``last_checkpoint`` tag are written atomically: interrupted at any
    moment — killed, out of disk — the previous checkpoint and the tag that
    names it stay valid, and a failed save says so."""

    def save(self, name: str, **kwargs) -> None:
        if not self.save_dir or not self.save_to_disk:
            return
        data = {"model": self.model.state_dict()}
        data.update({key: obj.state_dict() for key, obj in self.checkpointables.items()})
        data.update(kwargs)
        path = os.path.join(self.save_dir, f"{name}.pth")
        self.logger.info(f"Saving checkpoint to {path}")
        try:
            atomic_write(path, lambda file: torch.save(data, file))
        except OSError as error:
            last = self.get_checkpoint_file() if self.has_checkpoint() else "none"
            raise OSError(error.errno, f"Could not write checkpoint {path} ({error.strerror or error}); "
                                       f"the last complete checkpoint is still {last}. Free disk space and "
                                       f"continue with --resume.") from error
        self.tag_last_checkpoint(os.path.basename(path))

    def tag_last_checkpoint(self, last_filename_basename: str) -> None:
        atomic_write(os.path.join(self.save_dir, "last_checkpoint"),
                     lambda file: file.write(last_filename_basename.encode()))


class MemoryCheckpointer(AtomicCheckpointer):
    """An :class:`AtomicCheckpointer` that loads a checkpointed memory of
    another size (another number of clusters than the model's), instead of
    skipping it as a shape mismatch."""

    def _load_model(self, checkpoint):
        model = self.model.module if hasattr(self.model, "module") else self.model
        for name, module in model.named_modules():
            if isinstance(module, ClusterMemory):
                module.match_buffer_shapes(checkpoint["model"], prefix=f"{name}.")
        return super()._load_model(checkpoint)
