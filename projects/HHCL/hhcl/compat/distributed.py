"""FastReID's multi-process launch and collectives on a machine without CUDA,
and without torch's deprecated ``TypedStorage`` (see docs/COMPAT.md)."""

from __future__ import annotations

import gc
import pickle
from typing import Any, Callable

import torch
import torch.distributed as dist


class CpuAwareDDP(torch.nn.parallel.DistributedDataParallel):
    """``DistributedDataParallel`` that drops ``device_ids`` and
    ``output_device`` for CPU modules (DDP rejects them there)."""

    def __init__(self, module: torch.nn.Module, *args: Any, **kwargs: Any):
        if next(module.parameters()).device.type == "cpu":
            kwargs.pop("device_ids", None)
            kwargs.pop("output_device", None)
        super().__init__(module, *args, **kwargs)


def distributed_worker(local_rank: int, main_func: Callable, world_size: int, num_gpus_per_machine: int,
                       machine_rank: int, dist_url: str, args: tuple) -> None:
    """FastReID's ``_distributed_worker``, which asserts CUDA, uses NCCL and
    ``set_device``; without CUDA: gloo and no device. Ends the process groups
    when ``main_func`` returns (:func:`end_process_groups`). Module-level, so
    that the processes spawned by ``launch`` import it by name, which imports
    hhcl and so patches FastReID in each of them too."""
    from fastreid.utils import comm

    use_cuda = torch.cuda.is_available()
    global_rank = machine_rank * num_gpus_per_machine + local_rank
    dist.init_process_group(backend="nccl" if use_cuda else "gloo", init_method=dist_url,
                            world_size=world_size, rank=global_rank)
    comm.synchronize()
    if use_cuda:
        assert num_gpus_per_machine <= torch.cuda.device_count()
        torch.cuda.set_device(local_rank)
    num_machines = world_size // num_gpus_per_machine
    for i in range(num_machines):
        ranks_on_i = list(range(i * num_gpus_per_machine, (i + 1) * num_gpus_per_machine))
        group = dist.new_group(ranks_on_i)
        if i == machine_rank:
            comm._LOCAL_PROCESS_GROUP = group
    try:
        main_func(*args)
    finally:
        end_process_groups()


def end_process_groups() -> None:
    """Destroy every process group and drop FastReID's own references to
    them (``comm``'s cached gloo group and local group), so that each group is
    freed, its worker threads joined, before the interpreter exits. A group
    still referenced at exit keeps its threads, and one of them freeing its
    last collective's tensors during finalisation aborts the process
    (SIGABRT, "terminate called without an active exception") after the
    work is done."""
    from fastreid.utils import comm

    dist.destroy_process_group()
    comm._get_global_gloo_group.cache_clear()
    comm._LOCAL_PROCESS_GROUP = None
    gc.collect()  # groups held in reference cycles (a DDP model in a trainer)


def worker_without_cuda(original: Callable) -> Callable:
    """``launch``'s ``_distributed_worker`` (looked up by module-global name
    when ``launch`` spawns): :func:`distributed_worker`."""
    return distributed_worker


def ddp_without_device_ids_on_cpu(original: type) -> type:
    """``DistributedDataParallel`` as ``DefaultTrainer`` uses it: :class:`CpuAwareDDP`."""
    return CpuAwareDDP


def serialize_with_frombuffer(original: Callable) -> Callable:
    """``comm._serialize_to_tensor`` with ``torch.frombuffer`` instead of the
    deprecated ``TypedStorage`` (a warning on every all_gather)."""

    def _serialize_to_tensor(data, group):
        backend = dist.get_backend(group)
        assert backend in ["gloo", "nccl"]
        device = torch.device("cpu" if backend == "gloo" else "cuda")
        buffer = bytearray(pickle.dumps(data))
        return torch.frombuffer(buffer, dtype=torch.uint8).to(device=device)

    return _serialize_to_tensor
