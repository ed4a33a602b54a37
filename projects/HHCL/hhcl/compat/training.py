"""FastReID's training loop on torch 2 (see docs/COMPAT.md): mixed precision
on the model's device, and an optimizer whose steps reach the weights."""

from __future__ import annotations

import time
from typing import Callable

import torch


def _device_type(model: torch.nn.Module) -> str:
    return next(model.parameters()).device.type


def amp_trainer_init(original: Callable) -> Callable:
    """``AMPTrainer.__init__``: the default grad scaler is
    ``torch.amp.GradScaler(<device type>)``, enabled on CUDA only (bfloat16,
    the CPU autocast type, needs no scaling)."""

    def __init__(self, model, data_loader, optimizer, param_wrapper, grad_scaler=None):
        if grad_scaler is None:
            device_type = _device_type(model)
            grad_scaler = torch.amp.GradScaler(device_type, enabled=device_type == "cuda")
        original(self, model, data_loader, optimizer, param_wrapper, grad_scaler)

    return __init__


def amp_run_step(original: Callable) -> Callable:
    """``AMPTrainer.run_step`` without the CUDA assertion:
    ``torch.autocast(<device type>)`` with float16 on CUDA, bfloat16 on CPU."""
    from fastreid.utils.params import ContiguousParams

    def run_step(self):
        assert self.model.training, "[AMPTrainer] model was changed to eval mode!"
        device_type = _device_type(self.model)
        dtype = torch.float16 if device_type == "cuda" else torch.bfloat16

        start = time.perf_counter()
        data = next(self._data_loader_iter)
        data_time = time.perf_counter() - start

        with torch.autocast(device_type, dtype=dtype):
            loss_dict = self.model(data)
            losses = sum(loss_dict.values())

        self.optimizer.zero_grad()
        self.grad_scaler.scale(losses).backward()
        self._write_metrics(loss_dict, data_time)
        self.grad_scaler.step(self.optimizer)
        self.grad_scaler.update()
        if isinstance(self.param_wrapper, ContiguousParams):
            self.param_wrapper.assert_buffer_is_valid()

    return run_step


def optimizer_keeping_gradient_views(original: Callable) -> Callable:
    """``build_optimizer`` whose optimizer, when ``ContiguousParams`` is used,
    zeroes gradients in place (``set_to_none=False`` by default): setting
    the flat buffer's ``.grad`` to ``None``, torch 2's default, cuts the
    parameters' gradient views into it, and the steps never reach the
    weights."""
    from fastreid.utils.params import ContiguousParams

    def build_optimizer(cfg, model, contiguous=True):
        optimizer, param_wrapper = original(cfg, model, contiguous)
        if isinstance(param_wrapper, ContiguousParams):
            zero_grad = optimizer.zero_grad

            def zero_grad_keeping_views(set_to_none: bool = False):
                zero_grad(set_to_none=set_to_none)

            optimizer.zero_grad = zero_grad_keeping_views
        return optimizer, param_wrapper

    return build_optimizer
