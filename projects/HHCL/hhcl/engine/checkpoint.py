"""Checkpoints of models that hold a cluster memory."""

from __future__ import annotations

from fastreid.utils.checkpoint import Checkpointer

from ..modeling.memory import ClusterMemory


class MemoryCheckpointer(Checkpointer):
    """FastReID's ``Checkpointer``, except that a checkpointed memory of
    another size (another number of clusters than the model's) is loaded,
    not skipped as a shape mismatch."""

    def _load_model(self, checkpoint):
        model = self.model.module if hasattr(self.model, "module") else self.model
        for name, module in model.named_modules():
            if isinstance(module, ClusterMemory):
                module.match_buffer_shapes(checkpoint["model"], prefix=f"{name}.")
        return super()._load_model(checkpoint)
