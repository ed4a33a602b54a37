"""Every known incompatibility of FastReID 1.4.0 with today's Python, torch
and numpy, and how the plugin handles it (see docs/COMPAT.md, which explains
each row and how to add one)."""

from __future__ import annotations

from dataclasses import dataclass

from . import data, data_errors, dataset_file_names, distributed, evaluation, imports, pretrained, training
from .patching import Patch


@dataclass(frozen=True)
class Row:
    """One incompatibility: what goes wrong, how it is handled, and the test
    that shows the symptom and the fix (``path::function``).

    A row is fixed by ``patches`` (applied to FastReID at ``import hhcl``),
    by ``override`` (the dotted path of the plugin method that replaces
    FastReID's in the plugin's subclass; FastReID's class is left as it is),
    or by neither: recorded only, with no test."""

    number: int
    symptom: str
    fix: str
    test: str | None = None
    patches: tuple[Patch, ...] = ()
    override: str | None = None


_TESTS = "tests/compat/test_rows.py::"
_DATA_LOADER = "fastreid.data.data_utils.DataLoaderX"
_BACKGROUND = "fastreid.data.data_utils.BackgroundGenerator"
_AMP_TRAINER = "fastreid.engine.train_loop.AMPTrainer"
_BACKBONES = "fastreid.modeling.backbones"
_DATASETS = "fastreid.data.datasets"

ROWS: tuple[Row, ...] = (
    Row(1, "ImportError: cannot import name 'Mapping' from 'collections' (Python >= 3.10); "
           "np.bool missing in numpy 1.24-1.26",
        "alias collections.Mapping to collections.abc.Mapping, np.bool to bool, each only if missing",
        _TESTS + "test_row1_fastreid_import_fails_without_mapping_alias",
        (Patch("collections", "Mapping", imports.mapping_alias, only_if_missing=True),
         Patch("numpy", "bool", imports.numpy_bool_alias, only_if_missing=True))),
    Row(2, "ModuleNotFoundError: No module named 'torch._six' (torch >= 2.0)",
        "a torch._six module with string_classes, only if missing",
        _TESTS + "test_row2_fastreid_import_fails_without_torch_six",
        (Patch("sys.modules", "torch._six", imports.torch_six_stand_in, only_if_missing=True),)),
    Row(3, "DataLoaderX and BackgroundGenerator need CUDA: 'Found no NVIDIA driver' when a trainer "
           "builds its train loader",
        "without CUDA: no stream, batches stay on the CPU, pin_memory off; BackgroundGenerator.run "
        "(row 13) calls set_device only with CUDA",
        _TESTS + "test_row3_data_loader_yields_cpu_batches",
        (Patch(_DATA_LOADER, "__init__", data.loader_init_without_cuda),
         Patch(_DATA_LOADER, "preload", data.loader_preload_without_stream),
         Patch(_DATA_LOADER, "__next__", data.loader_next_without_stream))),
    Row(4, "ReidEvaluator runs make for its Cython ranking inside site-packages and calls sys.exit(1) "
           "mid-training when that fails",
        "override in hhcl.evaluation.ReidEvaluator: nothing to compile (it ranks with hhcl.evaluation.evaluate_rank)",
        _TESTS + "test_row4_plugin_evaluator_never_compiles",
        override="hhcl.evaluation.evaluator.ReidEvaluator._compile_dependencies"),
    Row(5, "AMPTrainer asserts CUDA and uses the deprecated torch.cuda.amp",
        "torch.amp.GradScaler and torch.autocast on the model's device: float16 on CUDA, bfloat16 on CPU",
        _TESTS + "test_row5_amp_trainer_steps_on_cpu",
        (Patch(_AMP_TRAINER, "__init__", training.amp_trainer_init),
         Patch(_AMP_TRAINER, "run_step", training.amp_run_step))),
    Row(6, "silent: with ContiguousParams, torch 2's zero_grad(set_to_none=True) cuts the gradient views, "
           "and the weights never change",
        "the optimizer from build_optimizer zeroes gradients in place (set_to_none=False by default)",
        _TESTS + "test_row6_fastreid_optimizer_step_changes_weights",
        (Patch("fastreid.solver.build", "build_optimizer", training.optimizer_keeping_gradient_views,
               aliases=("fastreid.solver", "fastreid.engine.defaults")),)),
    Row(7, "to_tensor warns about TypedStorage; mode '1' and 'I;16' images fail on numpy 2",
        "a numpy reimplementation with the original's dtypes and values",
        _TESTS + "test_row7_to_tensor_equals_original",
        (Patch("fastreid.data.transforms.functional", "to_tensor", data.to_tensor_with_numpy,
               aliases=("fastreid.data.transforms.transforms",)),)),
    Row(8, "DefaultTrainer.build_test_loader ignores DATALOADER.NUM_WORKERS: every evaluation starts 4 workers",
        "override in hhcl.engine.BaselineTrainer.build_test_loader: passes DATALOADER.NUM_WORKERS",
        _TESTS + "test_row8_test_loader_uses_configured_workers",
        override="hhcl.engine.baseline_trainer.BaselineTrainer.build_test_loader"),
    Row(9, "torch.load defaults to weights_only=True (torch >= 2.6): checkpoints holding numpy arrays fail "
           "with 'Weights only load failed'",
        "override in hhcl.engine.AtomicCheckpointer._load_file: safe loading, full unpickling only with "
        "FASTREID_COMPAT_TRUST_CKPT=1, an error naming that variable otherwise",
        _TESTS + "test_row9_checkpoint_with_numpy_needs_explicit_trust",
        override="hhcl.engine.checkpoint.AtomicCheckpointer._load_file"),
    Row(10, "launch's worker asserts CUDA and uses NCCL; DefaultTrainer's DDP passes device_ids for a CPU model",
        "without CUDA: gloo, no set_device; every process group ended and freed on return "
        "(end_process_groups); a DDP that drops device_ids for CPU modules",
        _TESTS + "test_row10_launch_two_cpu_processes",
        (Patch("fastreid.engine.launch", "_distributed_worker", distributed.worker_without_cuda),
         Patch("fastreid.engine.defaults", "DistributedDataParallel", distributed.ddp_without_device_ids_on_cpu))),
    Row(11, "comm._serialize_to_tensor warns about TypedStorage on every all_gather",
        "torch.frombuffer instead",
        _TESTS + "test_row11_serialize_without_typed_storage",
        (Patch("fastreid.utils.comm", "_serialize_to_tensor", distributed.serialize_with_frombuffer),)),
    Row(12, "compute_jaccard_distance(search_option=0), used by TEST.RERANK, needs CUDA and faiss-GPU",
        "the CPU faiss search (search_option=3) without CUDA or faiss-GPU",
        _TESTS + "test_row12_jaccard_distance_on_cpu",
        (Patch("fastreid.utils.compute_dist", "compute_jaccard_distance", evaluation.jaccard_search_on_cpu),)),
    Row(13, "an exception in a data loader's BackgroundGenerator thread (an unreadable image, a worker's "
            "error) is only printed: the thread dies and the consumer waits forever on its queue; a process "
            "that fails while such a thread runs can abort with 'terminate called without an active "
            "exception' (exit status 134)",
        "the thread hands any exception through the queue and the consumer re-raises it; its waits for room "
        "end once exit_event is set; DataLoaderX's shutdown and hhcl.compat.data.stop_background_loaders "
        "(tools/train_net.py, on every exit path) stop the threads",
        _TESTS + "test_row13_loader_thread_error_reaches_the_consumer",
        (Patch(_BACKGROUND, "run", data.background_run_handing_over_errors),
         Patch(_BACKGROUND, "next", data.background_next_reraising),
         Patch(_DATA_LOADER, "_shutdown_background_thread", data.loader_shutdown_without_raising))),
    Row(14, "DDP's broadcast_buffers argument is deprecated (torch 2.14): a FutureWarning",
        "none: recorded only; map it to forward_sync_buffers in CpuAwareDDP once torch removes it"),
    Row(15, "DataLoader workers oversubscribe a 2-core CPU (5.6-9.0 s/it with 2 workers, 0.6 s/it with 0)",
        "none: recorded only; CPU configs and tests use DATALOADER.NUM_WORKERS 0"),
    Row(16, "other CUDA-only calls (faiss GPU search, summary, empty_cache) are not reached on the CPU path",
        "none: recorded only"),
    Row(17, "the TensorBoard writer works unchanged",
        "none: recorded only"),
    Row(18, "a ResNet-50 checkpoint with its Adam state is 283 MB",
        "none: recorded only; tests use small backbones, a large CHECKPOINT_PERIOD or temporary folders"),
    Row(19, "a missing dataset folder is RuntimeError: '\"<path>\" is not found', without the datasets root "
            "or what to change",
        "hhcl.data.DatasetNotFoundError naming the folder, the datasets root and FASTREID_DATASETS",
        _TESTS + "test_row19_missing_dataset_folder_is_named",
        (Patch("fastreid.data.datasets.bases.Dataset", "check_before_run",
               data_errors.check_before_run_naming_folder),)),
    Row(20, "an unreadable image fails with PIL's message, which for a truncated file does not name the file",
        "hhcl.data.UnreadableImageError naming the file",
        _TESTS + "test_row20_unreadable_image_names_the_file",
        (Patch("fastreid.data.data_utils", "read_image", data_errors.read_image_naming_file,
               aliases=("fastreid.data.common",)),)),
    Row(21, "MODEL.BACKBONE.PRETRAIN True without PRETRAIN_PATH on a machine without internet: a chain of "
            "network tracebacks (requests' ConnectionError from gdown, URLError from torch.hub), naming "
            "neither the file, the cache folder nor PRETRAIN_PATH; torchvision's cached ResNet is not used",
        "hhcl.modeling.PretrainedWeightsNotFoundError naming the file looked for, the cache folder, the URL and "
        "MODEL.BACKBONE.PRETRAIN_PATH (at once with FASTREID_OFFLINE=1); ResNet also takes FastReID's or "
        "torchvision's file of the same network from torch.hub's cache",
        _TESTS + "test_row21_missing_pretrained_weights_are_named",
        (Patch(f"{_BACKBONES}.resnet", "init_pretrained_weights", pretrained.resnet_weights_from_any_cache),
         *(Patch(f"{_BACKBONES}.{module}", "init_pretrained_weights",
                 pretrained.init_weights_from_cache_or_clear_error)
           for module in ("resnext", "osnet", "regnet.regnet", "regnet.effnet")),
         Patch(f"{_BACKBONES}.mobilenetv3", "load_state_dict_from_url", pretrained.hub_weights_or_clear_error),
         Patch(f"{_BACKBONES}.BACKBONE_REGISTRY._obj_map", "build_resnest_backbone",
               pretrained.resnest_builder_with_clear_error, aliases=(f"{_BACKBONES}.resnest", _BACKBONES)))),
    Row(22, "silent: Market1501 searches its pattern ([-\\d]+)_c(\\d) in the whole path: a dataset root such as "
            "/data/exp_2_c3 gives every image identity 2 and camera 3, junk images (-1) included",
        "the pattern searched in the file name; FastReID's junk ids, assertions, camera numbering and prefixes",
        _TESTS + "test_row22_market1501_ids_and_cameras_from_file_names",
        (Patch(f"{_DATASETS}.market1501.Market1501", "process_dir",
               dataset_file_names.process_dir_reading_file_names),)),
    Row(23, "silent: DukeMTMC searches its pattern ([-\\d]+)_c(\\d) in the whole path: a dataset root such as "
            "/data/exp_2_c3 gives every image identity 2 and camera 3",
        "the pattern searched in the file name; FastReID's assertions, camera numbering and prefixes",
        _TESTS + "test_row23_dukemtmc_ids_and_cameras_from_file_names",
        (Patch(f"{_DATASETS}.dukemtmcreid.DukeMTMC", "process_dir",
               dataset_file_names.process_dir_reading_file_names),)),
    Row(24, "silent: VeRi searches its pattern ([\\d]+)_c(\\d\\d\\d) in the whole path: a dataset root such as "
            "/data/7_c005 gives every image identity 7 and camera 5",
        "the pattern searched in the file name; FastReID's assertions, camera numbering and prefixes",
        _TESTS + "test_row24_veri_ids_and_cameras_from_file_names",
        (Patch(f"{_DATASETS}.veri.VeRi", "process_dir", dataset_file_names.process_dir_reading_file_names),)),
    Row(25, "silent: cuhkSYSU searches its pattern p([-\\d]+)_s(\\d) in the whole path: a dataset root such as "
            "/data/exp_p2_s3 gives every image identity 2",
        "the pattern searched in the file name; FastReID's prefixes and single camera",
        _TESTS + "test_row25_cuhksysu_ids_from_file_names",
        (Patch(f"{_DATASETS}.cuhk_sysu.cuhkSYSU", "process_dir",
               dataset_file_names.process_dir_reading_file_names),)),
)
