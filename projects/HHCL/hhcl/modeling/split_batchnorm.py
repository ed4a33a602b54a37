"""BatchNorm over fixed-size chunks of the batch: one GPU computing the
statistics that several ``DataParallel`` GPUs computed."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


def _split_forward(module: _BatchNorm, chunk_size: int, inputs: torch.Tensor) -> torch.Tensor:
    """Training: each run of ``chunk_size`` consecutive samples is normalised
    with its own mean and (biased) variance, and only the first chunk
    updates the running statistics — as ``DataParallel`` does, whose first
    replica shares the module's buffers while the others' updates are lost.
    Evaluation (or a batch of at most one chunk): the ordinary BatchNorm."""
    if not module.training or inputs.shape[0] <= chunk_size:
        return type(module).forward(module, inputs)
    momentum = module.momentum if module.momentum is not None else 0.0
    outputs = []
    for index, chunk in enumerate(torch.split(inputs, chunk_size)):
        first = index == 0
        if first and module.track_running_stats:
            module.num_batches_tracked.add_(1)
            if module.momentum is None:  # cumulative moving average, as nn.BatchNorm does
                momentum = 1.0 / float(module.num_batches_tracked)
        outputs.append(F.batch_norm(chunk, module.running_mean if first else None,
                                    module.running_var if first else None, module.weight, module.bias,
                                    True, momentum, module.eps))
    return torch.cat(outputs)


def split_batch_norm_(model: nn.Module, chunk_size: int) -> int:
    """Make every BatchNorm layer of ``model`` (in place) compute its training
    statistics over chunks of ``chunk_size`` samples (``MODEL.BN_CHUNK_SIZE``):
    batch 256 with chunks of 64 reproduces the statistics of the 4-GPU
    ``DataParallel`` runs the published Cluster Contrast / HHCL numbers come
    from (one GPU and the whole batch is a known reproduction gap). Parameters,
    buffers and checkpoint keys are unchanged. Returns the number of layers."""
    if chunk_size < 2:
        raise ValueError(f"MODEL.BN_CHUNK_SIZE must be 0 (off) or at least 2, got {chunk_size}")
    layers = [module for module in model.modules() if isinstance(module, _BatchNorm)]
    for module in layers:
        module.forward = functools.partial(_split_forward, module, chunk_size)
    return len(layers)
