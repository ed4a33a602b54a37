"""Checkpoints: written atomically, loaded safely (full unpickling only for
trusted files); a memory of any size loads."""

from __future__ import annotations

import os
import pickle
from typing import Any, Callable, IO

import torch
from fastreid.utils.checkpoint import Checkpointer

from ..modeling.memory import ClusterMemory

#: Set to ``1`` to load checkpoints that hold objects other than tensors
#: (numpy arrays: converted model-zoo files) with full unpickling. Only for
#: files you trust.
TRUST_CHECKPOINT_ENV = "FASTREID_COMPAT_TRUST_CKPT"


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
    names it stay valid, and a failed save says so. Checkpoints load with
    torch's safe loader, and with full unpickling only when
    :data:`TRUST_CHECKPOINT_ENV` is ``1``."""

    def _load_file(self, f: str) -> dict[str, Any]:
        """The checkpoint at ``f``, loaded with ``weights_only=True``, torch's
        default since 2.6, which FastReID's own checkpoints pass. Checkpoints
        that hold numpy arrays (allowed by ``Checkpointer``'s docstring) load
        only when :data:`TRUST_CHECKPOINT_ENV` is ``1``; otherwise the error
        names that variable (see docs/COMPAT.md)."""
        try:
            return torch.load(f, map_location=torch.device("cpu"), weights_only=True)
        except pickle.UnpicklingError as error:
            if os.environ.get(TRUST_CHECKPOINT_ENV) == "1":
                return torch.load(f, map_location=torch.device("cpu"), weights_only=False)
            raise pickle.UnpicklingError(
                f"Checkpoint {f} holds objects other than tensors, so torch's safe loader "
                f"refuses it. If you trust the file, set {TRUST_CHECKPOINT_ENV}=1 to load it "
                f"with full unpickling.\n{error}"
            ) from error

    def resume_or_load(self, path: str, *, resume: bool = True) -> dict[str, Any]:
        """``Checkpointer.resume_or_load``, through which trainers load
        ``MODEL.WEIGHTS`` (``path``) when not resuming from a checkpoint: a
        ``path`` given but missing raises ``FileNotFoundError`` naming it and
        the key (FastReID's is ``AssertionError: Checkpoint ... not found!``)."""
        if path and not (resume and self.has_checkpoint()) and not os.path.isfile(path):
            relative_to = "" if os.path.isabs(path) else f" (relative to {os.getcwd()})"
            raise FileNotFoundError(
                f"MODEL.WEIGHTS: checkpoint {path!r}{relative_to} does not exist. Give the checkpoint to start "
                f"from (e.g. a run's model_final.pth), or MODEL.WEIGHTS '' to start without one.")
        return super().resume_or_load(path, resume=resume)

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
