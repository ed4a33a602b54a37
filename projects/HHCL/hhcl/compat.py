"""FastReID 1.4.0 on Python 3.11+, torch 2.x and numpy 2.x.

FastReID 1.4.0 (the last PyPI release) was written for Python 3.8, torch 1.13
and numpy 1.2x. On today's stack it breaks in the places listed in
``shared/FASTREID_COMPAT.md``. Each numbered section below patches one row of
that table at ``import hhcl``, never by editing installed files. Every
patched callable keeps the original as ``__wrapped__`` (so tests can show the
symptom the patch removes) and is marked so that :func:`apply` is idempotent.

Rows that need no patch are recorded here for the reader:

* 13: a failing process whose ``BackgroundGenerator`` thread is still alive
  exits with code 134 (``terminate called without an active exception``)
  instead of 1. Callers that run training in a subprocess must treat any
  non-zero code as failure.
* 14: DDP's ``broadcast_buffers`` argument is deprecated in torch 2.14 (a
  warning only).
* 15: DataLoader workers oversubscribe a 2-core CPU: the CPU configs use
  ``DATALOADER.NUM_WORKERS 0``.
* 16: other CUDA-only calls (faiss GPU search, ``summary``,
  ``empty_cache``) are not reached on the CPU path.
* 17: the TensorBoard writer works unchanged.
* 18: ResNet-50 checkpoints are 283 MB each: tests use small backbones.
"""

from __future__ import annotations

import collections
import collections.abc
import functools
import os
import pickle
import sys
import types
from typing import Any, Callable

import numpy as np
import torch

__all__ = ["apply", "TRUST_CHECKPOINT_ENV"]

#: Set to ``1`` to allow full unpickling of checkpoints that are not plain
#: tensor state dicts (section 9). Only for files you trust.
TRUST_CHECKPOINT_ENV = "FASTREID_COMPAT_TRUST_CKPT"

_MARK = "__hhcl_compat__"


def _replace(owner: Any, name: str, make_patch: Callable[[Callable], Callable]) -> None:
    """Replace ``owner.name`` by ``make_patch(original)`` once.

    The patch keeps the original as ``__wrapped__`` and carries a marker, so a
    second :func:`apply` leaves it alone.
    """
    original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
    unwrapped = original.__func__ if isinstance(original, (classmethod, staticmethod)) else original
    if getattr(unwrapped, _MARK, False):
        return
    patched = make_patch(unwrapped)
    functools.update_wrapper(patched, unwrapped)
    setattr(patched, _MARK, True)
    if isinstance(original, classmethod):
        patched = classmethod(patched)
    setattr(owner, name, patched)


# --------------------------------------------------------------------------- §1
def _patch_collections_and_numpy_aliases() -> None:
    """Row 1: ``from collections import Mapping`` and ``np.bool``.

    ``collections.Mapping`` was removed in Python 3.10 (fastreid/data/build.py,
    fastreid/evaluation/testing.py import it); alias it to
    ``collections.abc.Mapping``. ``np.bool`` (evaluation/rank.py) exists in
    numpy 2 but not in numpy 1.24-1.26: alias it to ``bool`` only if missing.
    """
    if not hasattr(collections, "Mapping"):
        collections.Mapping = collections.abc.Mapping
    if "bool" not in np.__dict__:
        np.bool = bool


# --------------------------------------------------------------------------- §2
def _patch_torch_six() -> None:
    """Row 2: ``from torch._six import string_classes`` (data/build.py).

    ``torch._six`` was removed in torch 2.0; provide a module with the one
    name FastReID uses.
    """
    if "torch._six" not in sys.modules:
        six = types.ModuleType("torch._six", "FastReID 1.4.0 compatibility stand-in (hhcl.compat)")
        six.string_classes = (str, bytes)
        sys.modules["torch._six"] = six


# --------------------------------------------------------------------------- §3
def _patch_data_loader_without_cuda() -> None:
    """Row 3: ``DataLoaderX`` and ``BackgroundGenerator`` assume CUDA.

    Without CUDA they raise ``Found no NVIDIA driver``. On a machine without
    CUDA: no side stream, no ``set_device``, batches stay on the CPU and
    ``pin_memory`` is off. With CUDA, FastReID's behaviour is unchanged.
    """
    from fastreid.data import data_utils

    def make_init(original):
        def __init__(self, local_rank, **kwargs):
            if torch.cuda.is_available():
                return original(self, local_rank, **kwargs)
            kwargs["pin_memory"] = False
            torch.utils.data.DataLoader.__init__(self, **kwargs)
            self.stream = None
            self.local_rank = local_rank

        return __init__

    def make_preload(original):
        def preload(self):
            if self.stream is not None:
                return original(self)
            self.batch = next(self.iter, None)

        return preload

    def make_next(original):
        def __next__(self):
            if self.stream is not None:
                return original(self)
            batch = self.batch
            if batch is None:
                raise StopIteration
            self.preload()
            return batch

        return __next__

    def make_run(original):
        def run(self):
            if torch.cuda.is_available():
                return original(self)
            for item in self.generator:
                if self.exit_event.is_set():
                    break
                self.queue.put(item)
            self.queue.put(None)

        return run

    _replace(data_utils.DataLoaderX, "__init__", make_init)
    _replace(data_utils.DataLoaderX, "preload", make_preload)
    _replace(data_utils.DataLoaderX, "__next__", make_next)
    _replace(data_utils.BackgroundGenerator, "run", make_run)


# --------------------------------------------------------------------------- §4
def _patch_no_cython_compilation() -> None:
    """Row 4: ``ReidEvaluator`` compiles Cython into site-packages.

    ``_compile_dependencies`` runs ``make`` inside the installed package and
    calls ``sys.exit(1)`` mid-training when that fails. It becomes a no-op:
    ``rank.py`` then uses its numpy evaluator (same metrics).
    """
    from fastreid.evaluation import reid_evaluation

    def make(original):
        def _compile_dependencies(self):
            return None

        return _compile_dependencies

    _replace(reid_evaluation.ReidEvaluator, "_compile_dependencies", make)


# --------------------------------------------------------------------------- §5
def _patch_amp_trainer() -> None:
    """Row 5: ``AMPTrainer`` asserts CUDA and uses ``torch.cuda.amp``.

    Uses ``torch.amp.GradScaler(<device type>)`` and
    ``torch.autocast(<device type>)`` with float16 on CUDA and bfloat16 on CPU
    (the CPU autocast type; the scaler is disabled there, bfloat16 needs none).
    """
    import time

    from fastreid.engine import train_loop
    from fastreid.utils.params import ContiguousParams

    def device_type_of(model: torch.nn.Module) -> str:
        return next(model.parameters()).device.type

    def make_init(original):
        def __init__(self, model, data_loader, optimizer, param_wrapper, grad_scaler=None):
            if grad_scaler is None:
                device_type = device_type_of(model)
                grad_scaler = torch.amp.GradScaler(device_type, enabled=device_type == "cuda")
            original(self, model, data_loader, optimizer, param_wrapper, grad_scaler)

        return __init__

    def make_run_step(original):
        def run_step(self):
            assert self.model.training, "[AMPTrainer] model was changed to eval mode!"
            device_type = device_type_of(self.model)
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

    _replace(train_loop.AMPTrainer, "__init__", make_init)
    _replace(train_loop.AMPTrainer, "run_step", make_run_step)


# --------------------------------------------------------------------------- §6
def _patch_contiguous_zero_grad() -> None:
    """Row 6 (silent): with ``ContiguousParams`` the weights never change.

    ``build_optimizer(contiguous=True)`` gives an optimizer over one flat
    buffer whose ``.grad`` the model parameters' ``.grad`` are views of. Since
    torch 2.0 ``zero_grad()`` sets ``.grad`` to ``None``, which cuts those
    views: backward then writes fresh per-parameter grads the optimizer never
    sees (and never zeroes). The optimizer returned by ``build_optimizer``
    gets a ``zero_grad`` that defaults to ``set_to_none=False`` whenever
    ``ContiguousParams`` is in use. The name is imported into three modules;
    each gets the wrapper.
    """
    from fastreid import solver
    from fastreid.engine import defaults
    from fastreid.solver import build
    from fastreid.utils.params import ContiguousParams

    def make(original):
        def build_optimizer(cfg, model, contiguous=True):
            optimizer, param_wrapper = original(cfg, model, contiguous)
            if isinstance(param_wrapper, ContiguousParams):
                zero_grad = optimizer.zero_grad

                def zero_grad_keeping_views(set_to_none: bool = False):
                    zero_grad(set_to_none=set_to_none)

                optimizer.zero_grad = zero_grad_keeping_views
            return optimizer, param_wrapper

        return build_optimizer

    _replace(build, "build_optimizer", make)
    solver.build_optimizer = build.build_optimizer
    defaults.build_optimizer = build.build_optimizer


# --------------------------------------------------------------------------- §7
def _patch_to_tensor() -> None:
    """Row 7: ``to_tensor`` (data/transforms/functional.py) on numpy 2.

    The PIL path uses the deprecated ``TypedStorage`` for RGB and fails for
    mode "1" (``np.array(..., copy=False)`` must copy in numpy 2). The
    replacement reads the image with ``np.array`` (always a copy) and gives
    the same dtypes and values as the original: uint8 modes become float32
    in [0, 255], "1" becomes {0, 255}, "I"/"I;16"/"F" keep int32/int16/float32.
    """
    from fastreid.data.transforms import functional, transforms

    dtypes = {"I": np.int32, "I;16": np.int16, "F": np.float32}

    def make(original):
        def to_tensor(pic):
            if isinstance(pic, np.ndarray):
                return original(pic)
            array = np.array(pic)
            if pic.mode == "1":
                array = array.astype(np.uint8) * 255
            elif pic.mode in dtypes:
                array = array.astype(dtypes[pic.mode])
            if array.ndim == 2:
                array = array[:, :, None]
            img = torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))
            return img.float() if img.dtype == torch.uint8 else img

        return to_tensor

    _replace(functional, "to_tensor", make)
    transforms.to_tensor = functional.to_tensor


# --------------------------------------------------------------------------- §8
def _patch_test_loader_workers() -> None:
    """Row 8: ``DefaultTrainer.build_test_loader`` ignores ``NUM_WORKERS``.

    ``build_reid_test_loader`` defaults to 4 workers and the trainer never
    passes ``cfg.DATALOADER.NUM_WORKERS`` (passing it through the configurable
    call would send it to the dataset constructor instead). The test loader is
    built from the same arguments with the configured number of workers.
    """
    from fastreid.data import build as data_build
    from fastreid.engine import defaults

    def make(original):
        def build_test_loader(cls, cfg, dataset_name, **dataset_kwargs):
            args = data_build._test_loader_from_config(cfg, dataset_name=dataset_name, **dataset_kwargs)
            return data_build.build_reid_test_loader(**args, num_workers=cfg.DATALOADER.NUM_WORKERS)

        return build_test_loader

    _replace(defaults.DefaultTrainer, "build_test_loader", make)


# --------------------------------------------------------------------------- §9
def _patch_checkpoint_loading() -> None:
    """Row 9: ``torch.load`` defaults to ``weights_only=True`` since torch 2.6.

    FastReID's own checkpoints load with it. Checkpoints holding numpy arrays
    (allowed by the Checkpointer's docstring; converted model-zoo files) do
    not: they load only when ``FASTREID_COMPAT_TRUST_CKPT=1`` says the file is
    trusted, and otherwise fail with an error that names that variable.
    """
    from fastreid.utils.checkpoint import Checkpointer

    def make(original):
        def _load_file(self, f: str):
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

        return _load_file

    _replace(Checkpointer, "_load_file", make)


# -------------------------------------------------------------------------- §10
class _CpuAwareDDP(torch.nn.parallel.DistributedDataParallel):
    """``DistributedDataParallel`` that drops ``device_ids`` for CPU modules
    (DDP rejects them there)."""

    def __init__(self, module: torch.nn.Module, *args: Any, **kwargs: Any):
        if next(module.parameters()).device.type == "cpu":
            kwargs.pop("device_ids", None)
            kwargs.pop("output_device", None)
        super().__init__(module, *args, **kwargs)


def _distributed_worker(local_rank, main_func, world_size, num_gpus_per_machine, machine_rank,
                        dist_url, args):
    """Row 10: FastReID's ``_distributed_worker`` on a machine without CUDA.

    Same as upstream (which asserts CUDA, uses NCCL and ``set_device``), but
    uses gloo and no device when CUDA is unavailable, and ends the process
    group when ``main_func`` returns. Defined at module level so that the
    processes spawned by ``launch`` import it by name, which imports the
    ``hhcl`` package and so applies every patch in the child too.
    """
    import torch.distributed as dist
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
        dist.destroy_process_group()


setattr(_distributed_worker, _MARK, True)


def _patch_launch_without_cuda() -> None:
    """Row 10: ``launch`` and ``DefaultTrainer``'s DDP assume CUDA.

    ``import fastreid.engine.launch`` gives the re-exported *function*, so the
    module is taken from ``sys.modules``. ``launch`` looks its worker up by
    module-global name, which is replaced by :func:`_distributed_worker`.
    """
    import fastreid.engine  # noqa: F401  (loads fastreid.engine.launch)
    from fastreid.engine import defaults

    launch_module = sys.modules["fastreid.engine.launch"]
    if not getattr(launch_module._distributed_worker, _MARK, False):
        _distributed_worker.__wrapped__ = launch_module._distributed_worker
        launch_module._distributed_worker = _distributed_worker
    defaults.DistributedDataParallel = _CpuAwareDDP


# -------------------------------------------------------------------------- §11
def _patch_serialize_to_tensor() -> None:
    """Row 11: ``comm._serialize_to_tensor`` uses the deprecated ``TypedStorage``
    (a warning on every all_gather). Uses ``torch.frombuffer`` instead."""
    import torch.distributed as dist
    from fastreid.utils import comm

    def make(original):
        def _serialize_to_tensor(data, group):
            backend = dist.get_backend(group)
            assert backend in ["gloo", "nccl"]
            device = torch.device("cpu" if backend == "gloo" else "cuda")
            buffer = bytearray(pickle.dumps(data))
            return torch.frombuffer(buffer, dtype=torch.uint8).to(device=device)

        return _serialize_to_tensor

    _replace(comm, "_serialize_to_tensor", make)


# -------------------------------------------------------------------------- §12
def _patch_jaccard_search_on_cpu() -> None:
    """Row 12: ``compute_jaccard_distance(search_option=0)`` needs faiss-GPU.

    Used by ``TEST.RERANK``; ``build_dist`` hard-codes ``search_option=0``,
    which moves features to CUDA. Without CUDA (or without faiss GPU support)
    the CPU faiss search (``search_option=3``) is used.
    """
    import faiss
    from fastreid.utils import compute_dist

    def make(original):
        def compute_jaccard_distance(features, k1=20, k2=6, search_option=0, fp16=False):
            gpu_search = torch.cuda.is_available() and faiss.get_num_gpus() > 0
            if not gpu_search:
                search_option = 3
            return original(features, k1=k1, k2=k2, search_option=search_option, fp16=fp16)

        return compute_jaccard_distance

    _replace(compute_dist, "compute_jaccard_distance", make)


def apply() -> None:
    """Apply every patch (idempotent). Called by ``import hhcl``."""
    _patch_collections_and_numpy_aliases()
    _patch_torch_six()
    _patch_data_loader_without_cuda()
    _patch_no_cython_compilation()
    _patch_amp_trainer()
    _patch_contiguous_zero_grad()
    _patch_to_tensor()
    _patch_test_loader_workers()
    _patch_checkpoint_loading()
    _patch_launch_without_cuda()
    _patch_serialize_to_tensor()
    _patch_jaccard_search_on_cpu()
