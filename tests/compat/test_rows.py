"""Each row of hhcl.compat.ROWS (docs/COMPAT.md): the symptom without its
patch (the original, kept as ``__wrapped__``) or override (FastReID's own
class), and the behaviour with it."""

from __future__ import annotations

import pickle
import re
import threading
import time
import traceback
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from hhcl import compat

from ..helpers import run_python

NO_CUDA = not torch.cuda.is_available()


# Rows 1 and 2: import-time breakage, shown in fresh interpreters.
def test_row1_fastreid_import_fails_without_mapping_alias():
    # torch._six provided (row 2), collections.Mapping not (row 1):
    result = run_python("import sys, types\n"
                        "six = types.ModuleType('torch._six'); six.string_classes = (str, bytes)\n"
                        "sys.modules['torch._six'] = six\n"
                        "import fastreid.data")
    assert result.returncode != 0
    assert "cannot import name 'Mapping' from 'collections'" in result.stderr


def test_row2_fastreid_import_fails_without_torch_six():
    # collections.Mapping provided (row 1), torch._six not (row 2):
    result = run_python("import collections, collections.abc\n"
                        "collections.Mapping = collections.abc.Mapping\n"
                        "import fastreid.data")
    assert result.returncode != 0
    assert "No module named 'torch._six'" in result.stderr


def test_rows1_2_import_hhcl_makes_fastreid_importable():
    result = run_python("import hhcl, fastreid.data, fastreid.evaluation.testing, fastreid.engine;"
                        "print('ok')")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_row1_numpy_bool_alias_restored_when_missing(monkeypatch):
    monkeypatch.delattr(np, "bool")
    compat.apply()
    assert np.bool is bool


# Row 3: DataLoaderX without CUDA.
def _loader(init):
    from fastreid.data.data_utils import DataLoaderX

    loader = DataLoaderX.__new__(DataLoaderX)
    init(loader, 0, dataset=[{"x": torch.tensor([float(i)])} for i in range(5)], batch_size=2,
         pin_memory=True)
    return loader


@pytest.mark.skipif(not NO_CUDA, reason="the symptom needs a machine without CUDA")
def test_row3_original_data_loader_needs_cuda():
    from fastreid.data.data_utils import DataLoaderX

    with pytest.raises((RuntimeError, AssertionError)):
        _loader(DataLoaderX.__init__.__wrapped__)


def test_row3_data_loader_yields_cpu_batches():
    from fastreid.data.data_utils import DataLoaderX

    loader = _loader(DataLoaderX.__init__)
    batches = [batch["x"] for batch in loader]
    assert [b.flatten().tolist() for b in batches] == [[0.0, 1.0], [2.0, 3.0], [4.0]]
    if NO_CUDA:
        assert loader.pin_memory is False
        assert all(b.device.type == "cpu" for b in batches)


# Row 4: no Cython compilation into site-packages (override in the plugin's evaluator).
def test_row4_plugin_evaluator_never_compiles(monkeypatch):
    from fastreid.config import get_cfg
    from fastreid.evaluation import reid_evaluation

    from hhcl.evaluation import ReidEvaluator

    calls = []
    monkeypatch.setattr(reid_evaluation, "compile_helper", lambda: calls.append("make"))
    ReidEvaluator(get_cfg(), num_query=1)
    assert calls == []
    reid_evaluation.ReidEvaluator(get_cfg(), num_query=1)  # FastReID's own runs make
    assert calls == ["make"]


# Row 5: AMP on the model's device.
class _TinyModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 3)

    def forward(self, data):
        return {"loss": torch.nn.functional.cross_entropy(self.linear(data["x"]), data["y"])}


def _batches():
    generator = torch.Generator().manual_seed(0)
    while True:
        yield {"x": torch.randn(8, 4, generator=generator), "y": torch.arange(8) % 3}


def test_row5_amp_trainer_steps_on_cpu():
    from fastreid.engine.train_loop import AMPTrainer
    from fastreid.utils.events import EventStorage

    model = _TinyModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    trainer = AMPTrainer(model, _batches(), optimizer, None)
    before = model.linear.weight.detach().clone()
    with EventStorage(0):
        trainer.iter = 0
        trainer.run_step()
    assert not torch.equal(before, model.linear.weight)
    assert torch.isfinite(model.linear.weight).all()
    if NO_CUDA:
        with EventStorage(0), pytest.raises(AssertionError, match="CUDA is required"):
            AMPTrainer.run_step.__wrapped__(trainer)


# Row 6 (silent): the optimizer step must change the weights.
def _optimizer_cfg():
    from fastreid.config import get_cfg

    cfg = get_cfg()
    cfg.SOLVER.OPT = "Adam"
    cfg.SOLVER.BASE_LR = 0.01
    return cfg


def _weights_after_steps(build_optimizer, steps=3):
    torch.manual_seed(0)
    model = _TinyModel()
    optimizer, param_wrapper = build_optimizer(_optimizer_cfg(), model)
    start = model.linear.weight.detach().clone()
    grads_after_zero = []
    for batch, _ in zip(_batches(), range(steps)):
        optimizer.zero_grad()
        grads_after_zero.append(float(model.linear.weight.grad.abs().sum()) if model.linear.weight.grad is not None else 0.0)
        model(batch)["loss"].backward()
        optimizer.step()
    return start, model.linear.weight.detach().clone(), grads_after_zero


def test_row6_unpatched_optimizer_never_moves_weights():
    from fastreid.solver import build

    start, end, _ = _weights_after_steps(build.build_optimizer.__wrapped__)
    assert torch.equal(start, end)


def test_row6_fastreid_optimizer_step_changes_weights():
    from fastreid.engine import DefaultTrainer, defaults
    from fastreid import solver
    from fastreid.solver import build

    assert solver.build_optimizer is build.build_optimizer is defaults.build_optimizer
    start, end, grads_after_zero = _weights_after_steps(DefaultTrainer.build_optimizer)
    assert not torch.equal(start, end)
    assert grads_after_zero == [0.0, 0.0, 0.0]  # zero_grad really zeroes the shared buffer


# Row 7: to_tensor on numpy 2.
@pytest.mark.parametrize("mode", ["RGB", "L", "I", "F", "RGBA", "YCbCr", "P", "LA"])
def test_row7_to_tensor_equals_original(mode):
    from fastreid.data.transforms import functional

    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 255, (5, 4, 3), dtype=np.uint8)).convert(mode)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = functional.to_tensor.__wrapped__(image)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = functional.to_tensor(image)
    assert result.dtype == expected.dtype
    assert torch.equal(result, expected)


def test_row7_to_tensor_16_bit_image():
    from fastreid.data.transforms import functional

    values = np.array([[0, 1000], [30000, 7]], dtype=np.uint16)
    image = Image.frombytes("I;16", (2, 2), values.tobytes())
    with pytest.raises(ValueError):
        functional.to_tensor.__wrapped__(image)
    result = functional.to_tensor(image)
    assert result.dtype == torch.int16
    assert result[0].tolist() == values.tolist()


def test_row7_to_tensor_binary_image():
    from fastreid.data.transforms import functional, transforms

    image = Image.fromarray(np.array([[0, 255], [255, 0]], dtype=np.uint8)).convert("1")
    with pytest.raises(ValueError):
        functional.to_tensor.__wrapped__(image)
    result = transforms.to_tensor(image)
    assert result.shape == (1, 2, 2)
    assert result.flatten().tolist() == [0.0, 255.0, 255.0, 0.0]


# Row 8: the test loader uses DATALOADER.NUM_WORKERS (override in the plugin's trainer).
def test_row8_test_loader_uses_configured_workers(tiny_synthetic):
    from fastreid.config import get_cfg
    from fastreid.engine import DefaultTrainer

    from hhcl import add_hhcl_config
    from hhcl.engine.baseline_trainer import BaselineTrainer

    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.DATALOADER.NUM_WORKERS = 0
    loader, num_query = BaselineTrainer.build_test_loader(cfg, "SyntheticSource")
    assert loader.num_workers == 0
    assert num_query > 0
    original, _ = DefaultTrainer.build_test_loader(cfg, "SyntheticSource")
    assert original.num_workers == 4


# Row 9: checkpoint loading under weights_only (override in the plugin's checkpointer).
def test_row9_checkpoint_with_numpy_needs_explicit_trust(tmp_path, monkeypatch):
    from fastreid.utils.checkpoint import Checkpointer

    from hhcl.engine.checkpoint import TRUST_CHECKPOINT_ENV, AtomicCheckpointer

    path = tmp_path / "converted.pth"
    torch.save({"model": {"w": np.ones(3)}}, path)
    checkpointer = AtomicCheckpointer(torch.nn.Linear(1, 1))
    monkeypatch.delenv(TRUST_CHECKPOINT_ENV, raising=False)
    with pytest.raises(pickle.UnpicklingError, match=TRUST_CHECKPOINT_ENV):
        checkpointer._load_file(str(path))
    monkeypatch.setenv(TRUST_CHECKPOINT_ENV, "1")
    assert checkpointer._load_file(str(path))["model"]["w"].tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(pickle.UnpicklingError):  # FastReID's own, even when trusted
        Checkpointer(torch.nn.Linear(1, 1))._load_file(str(path))


def test_row9_plain_checkpoint_loads_safely(tmp_path, monkeypatch):
    from hhcl.engine.checkpoint import TRUST_CHECKPOINT_ENV, AtomicCheckpointer

    monkeypatch.delenv(TRUST_CHECKPOINT_ENV, raising=False)
    path = tmp_path / "plain.pth"
    torch.save({"model": {"w": torch.ones(2)}, "epoch": 3}, path)
    loaded = AtomicCheckpointer(torch.nn.Linear(1, 1))._load_file(str(path))
    assert loaded["epoch"] == 3 and torch.equal(loaded["model"]["w"], torch.ones(2))


# Row 10: launch on CPU with gloo.
def test_row10_launch_two_cpu_processes(tmp_path):
    code = f"""
import hhcl, torch, torch.distributed as dist
from fastreid.engine import launch
from fastreid.engine import defaults
from fastreid.utils import comm

def main(out):
    total = torch.tensor([float(comm.get_rank() + 1)])
    dist.all_reduce(total)
    model = defaults.DistributedDataParallel(torch.nn.Linear(2, 2), device_ids=[comm.get_local_rank()])
    open(f"{{out}}/rank{{comm.get_rank()}}", "w").write(f"{{dist.get_backend()}} {{total.item()}} {{comm.get_world_size()}}")

if __name__ == "__main__":
    launch(main, 2, dist_url="auto", args=("{tmp_path}",))
"""
    script = tmp_path / "launch_check.py"
    script.write_text(code)
    result = run_python(f"import runpy; runpy.run_path('{script}', run_name='__main__')", timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    backend = "nccl" if not NO_CUDA else "gloo"
    for rank in (0, 1):
        assert (tmp_path / f"rank{rank}").read_text() == f"{backend} 3.0 2"


@pytest.mark.skipif(not NO_CUDA, reason="the symptom needs a machine without CUDA")
def test_row10_original_worker_asserts_cuda():
    import sys

    worker = sys.modules["fastreid.engine.launch"]._distributed_worker
    with pytest.raises(AssertionError, match="cuda is not available"):
        worker.__wrapped__(0, print, 2, 2, 0, "tcp://127.0.0.1:1", ())


# Row 11: all_gather without TypedStorage.
def test_row11_serialize_without_typed_storage(tmp_path):
    import torch.distributed as dist
    from fastreid.utils import comm

    dist.init_process_group("gloo", init_method=f"file://{tmp_path}/pg", rank=0, world_size=1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            tensor = comm._serialize_to_tensor({"a": [1, 2]}, dist.group.WORLD)
        assert pickle.loads(tensor.numpy().tobytes()) == {"a": [1, 2]}
        torch.storage._set_always_warn_typed_storage_removal(True)  # torch warns once otherwise
        with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
            comm._serialize_to_tensor.__wrapped__({"a": 1}, dist.group.WORLD)
    finally:
        torch.storage._set_always_warn_typed_storage_removal(False)
        dist.destroy_process_group()


# Row 12: Jaccard re-ranking distance on CPU.
def test_row12_jaccard_distance_on_cpu():
    from fastreid.utils import compute_dist

    features = torch.nn.functional.normalize(torch.randn(30, 8, generator=torch.Generator().manual_seed(0)))
    distances = compute_dist.build_dist(features[:10], features[10:], metric="jaccard", k1=5, k2=2)
    reference = compute_dist.compute_jaccard_distance.__wrapped__(features, k1=5, k2=2, search_option=3)
    assert distances.shape == (10, 20)
    np.testing.assert_allclose(distances, reference[:10, 10:])
    if NO_CUDA:
        with pytest.raises(RuntimeError):
            compute_dist.compute_jaccard_distance.__wrapped__(features, k1=5, k2=2, search_option=0)


# Row 13: an exception in a loader thread reaches the consumer; the threads stop.
def _items_with_a_zero_byte_image(folder) -> tuple[list[tuple[str, int, int]], str]:
    """(path, pid, camid) items of 4 images, the third a zero-byte .jpg, and that file's path."""
    paths = [folder / f"{index}.jpg" for index in range(4)]
    for path in paths:
        Image.fromarray(np.full((16, 8, 3), 128, dtype=np.uint8)).save(path)
    paths[2].write_bytes(b"")
    return [(str(path), 0, 0) for path in paths], str(paths[2])


def _torch_batches(items, num_workers: int = 0):
    """A torch DataLoader iterator over ``items`` (batches of 1), as DataLoaderX wraps it."""
    from fastreid.data.build import fast_batch_collator
    from fastreid.data.common import CommDataset
    from fastreid.data.transforms.transforms import ToTensor

    dataset = CommDataset(items, ToTensor(), relabel=False)
    return iter(torch.utils.data.DataLoader(dataset, batch_size=1, num_workers=num_workers,
                                            collate_fn=fast_batch_collator))


def _call(function, timeout_s: float) -> tuple[str, object]:
    """Call ``function()`` in another thread for at most ``timeout_s``:
    ("returned", its value), ("raised", its exception) or ("waiting", None)."""
    outcome = []

    def call():
        try:
            outcome.append(("returned", function()))
        except Exception as error:
            outcome.append(("raised", error))

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    caller.join(timeout_s)
    return outcome[0] if outcome else ("waiting", None)


def _count(batches) -> int:
    return sum(1 for _ in batches)


def test_row13_loader_thread_error_reaches_the_consumer(tmp_path, monkeypatch):
    from fastreid.data.data_utils import BackgroundGenerator

    from hhcl.data import UnreadableImageError

    class FastReIDsBackgroundGenerator(BackgroundGenerator):
        run = BackgroundGenerator.run.__wrapped__
        next = BackgroundGenerator.next.__wrapped__

    items, unreadable = _items_with_a_zero_byte_image(tmp_path)
    printed = []
    monkeypatch.setattr(threading, "excepthook", printed.append)
    # FastReID's: the thread's exception (set_device without CUDA; the unreadable image with CUDA) is only
    # printed, the thread ends, and the consumer waits on the queue for good.
    original = FastReIDsBackgroundGenerator(_torch_batches(items), local_rank=0)
    assert _call(lambda: _count(original), timeout_s=3.0) == ("waiting", None)
    assert not original.is_alive() and len(printed) == 1 and issubclass(printed[0].exc_type, Exception)
    original.queue.put(None)  # releases the waiting consumer

    patched = BackgroundGenerator(_torch_batches(items), local_rank=0)
    start = time.perf_counter()
    kind, error = _call(lambda: _count(patched), timeout_s=30.0)
    assert kind == "raised" and isinstance(error, UnreadableImageError) and unreadable in str(error)
    assert time.perf_counter() - start < 5.0
    assert isinstance(error.__cause__, OSError)  # PIL's error, chained as read_image chained it
    assert "read_image" in [frame.name for frame in traceback.extract_tb(error.__traceback__)]  # the thread's frames
    assert len(printed) == 1 and not patched.is_alive()
    for _ in range(2):  # on every later call too, without waiting
        with pytest.raises(UnreadableImageError):
            next(patched)


def test_row13_worker_error_reaches_the_consumer(tmp_path):
    from fastreid.data.data_utils import BackgroundGenerator

    from hhcl.data import UnreadableImageError

    items, unreadable = _items_with_a_zero_byte_image(tmp_path)
    workers = _torch_batches(items, num_workers=2)
    try:
        kind, error = _call(lambda: _count(BackgroundGenerator(workers, local_rank=0)), timeout_s=30.0)
    finally:  # torch's own clean-up; left to the garbage collector after an error, it waits 5 s a worker
        workers._shutdown_workers()
    assert kind == "raised" and isinstance(error, UnreadableImageError)  # torch re-raises it in the thread
    assert "in DataLoader worker process" in str(error) and unreadable in str(error)


class _FailingOnRelease(torch.utils.data.Dataset):
    """Item 0 reads; item 1 fails once ``release`` is set."""

    def __init__(self):
        self.release = threading.Event()

    def __len__(self):
        return 2

    def __getitem__(self, index):
        if index == 1:
            self.release.wait(10.0)
            raise OSError("item 1 is unreadable")
        return {"x": torch.zeros(1)}


def test_row13_loader_shutdown_stops_without_raising():
    """A loader shut down while its thread reads an item that fails:
    FastReID's shutdown drains through ``next`` and meets the failure."""
    from fastreid.data.data_utils import DataLoaderX

    for shutdown, expected in ((DataLoaderX._shutdown_background_thread.__wrapped__, "raised"),
                               (DataLoaderX._shutdown_background_thread, "returned")):
        dataset = _FailingOnRelease()
        loader = DataLoaderX(0, dataset=dataset, batch_size=1)
        iter(loader)  # item 0 read; the thread now waits in item 1

        def release_item_1_during_the_shutdown():
            threading.Timer(0.3, dataset.release.set).start()
            shutdown(loader)

        kind, error = _call(release_item_1_during_the_shutdown, timeout_s=10.0)
        assert kind == expected, error
        loader.iter.join(10.0)
        assert not loader.iter.is_alive()


def test_row13_threads_stop_when_asked():
    from fastreid.data.data_utils import BackgroundGenerator

    from hhcl.compat.data import POLL_S, stop_background_loaders

    def endless():
        while True:
            yield {"x": torch.zeros(2)}

    def running() -> list[BackgroundGenerator]:
        return [thread for thread in threading.enumerate() if isinstance(thread, BackgroundGenerator)]

    def wait_until_full(generators):
        deadline = time.perf_counter() + 10.0
        while not all(g.queue.full() for g in generators) and time.perf_counter() < deadline:
            time.sleep(0.01)

    # A consumer that is gone: the thread waits for room in its full queue and ends once asked, undrained.
    orphan = BackgroundGenerator(endless(), local_rank=0, max_prefetch=1)
    wait_until_full([orphan])
    orphan.exit_event.set()
    orphan.join(10 * POLL_S)
    assert not orphan.is_alive() and orphan.queue.full()

    # stop_background_loaders: every running thread stopped and its queue emptied.
    generators = [BackgroundGenerator(endless(), local_rank=0, max_prefetch=2) for _ in range(2)]
    wait_until_full(generators)
    assert set(running()) == set(generators)
    stop_background_loaders()
    assert running() == [] and all(g.queue.empty() for g in generators)


# Row 19: a missing dataset folder is named with the datasets root and the variable.
def test_row19_missing_dataset_folder_is_named(tmp_path):
    from fastreid.data.datasets import DATASET_REGISTRY, bases

    from hhcl.data import DatasetNotFoundError

    missing = str(tmp_path / "Market-1501-v15.09.15")
    dataset = object.__new__(DATASET_REGISTRY.get("Market1501"))
    with pytest.raises(RuntimeError, match="is not found") as error:
        bases.Dataset.check_before_run.__wrapped__(dataset, missing)
    assert "FASTREID_DATASETS" not in str(error.value)
    with pytest.raises(DatasetNotFoundError) as error:
        dataset.check_before_run(missing)
    message = str(error.value)
    assert missing in message and "FASTREID_DATASETS" in message and "Market1501" in message


# Row 20: an unreadable image is named.
def test_row20_unreadable_image_names_the_file(tmp_path):
    from fastreid.data import common, data_utils

    from hhcl.data import UnreadableImageError

    path = tmp_path / "truncated.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 32, 3), dtype=np.uint8)).save(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(OSError, match="truncated") as error:
        data_utils.read_image.__wrapped__(str(path))
    assert str(path) not in str(error.value)
    assert common.read_image is data_utils.read_image
    with pytest.raises(UnreadableImageError, match=re.escape(str(path))):
        common.read_image(str(path))


# Row 21: ImageNet weights neither cached nor downloadable are named; torchvision's cached ResNet is used.
def _pretrained_cfg(name: str, depth: str, feat_dim: int = 512):
    from fastreid.config import get_cfg

    cfg = get_cfg()
    cfg.MODEL.BACKBONE.NAME, cfg.MODEL.BACKBONE.DEPTH, cfg.MODEL.BACKBONE.FEAT_DIM = name, depth, feat_dim
    cfg.MODEL.BACKBONE.PRETRAIN, cfg.MODEL.BACKBONE.PRETRAIN_PATH = True, ""
    return cfg


@pytest.fixture
def offline_downloads(tmp_path, monkeypatch) -> list[str]:
    """An empty TORCH_HOME; gdown and torch.hub fail as they do without a
    network (never reached: the downloads are replaced). Returns the URLs
    that a download was attempted for."""
    import urllib.error

    import gdown
    import requests

    from hhcl.compat.pretrained import OFFLINE_ENV

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv(OFFLINE_ENV, raising=False)
    attempts = []

    def gdown_download(url, output=None, *args, **kwargs):
        attempts.append(url)
        raise requests.exceptions.ConnectionError(
            f"HTTPSConnectionPool(host='download.pytorch.org', port=443): Max retries exceeded with url: {url} "
            f"(Caused by NameResolutionError(\"Failed to resolve 'download.pytorch.org'\"))")

    def hub_download(url, dst, *args, **kwargs):
        attempts.append(url)
        raise urllib.error.URLError(OSError(-2, "Name or service not known"))

    monkeypatch.setattr(gdown, "download", gdown_download)
    monkeypatch.setattr(torch.hub, "download_url_to_file", hub_download)
    return attempts


def _assert_names_file_folder_url(message: str, folder, file_name: str, url: str) -> None:
    assert f"file looked for:  {folder / file_name}" in message
    assert f"cache folder:     {folder}" in message
    assert f"URL:              {url}" in message
    assert "MODEL.BACKBONE.PRETRAIN_PATH /path/to/" + file_name in message


def test_row21_missing_pretrained_weights_are_named(offline_downloads, tmp_path, monkeypatch):
    import requests
    from fastreid.modeling.backbones import build_backbone, resnet

    from hhcl.modeling import PretrainedWeightsNotFoundError

    url, folder = resnet.model_urls["18x"], tmp_path / "torch" / "checkpoints"
    with pytest.raises(requests.exceptions.ConnectionError) as error:  # FastReID's: the network error itself
        resnet.init_pretrained_weights.__wrapped__("18x")
    assert "PRETRAIN_PATH" not in str(error.value)

    with pytest.raises(PretrainedWeightsNotFoundError) as error:
        build_backbone(_pretrained_cfg("build_resnet_backbone", "18x"))
    message = str(error.value)
    _assert_names_file_folder_url(message, folder, "resnet18-5c106cde.pth", url)
    assert "cannot be downloaded (ConnectionError: HTTPSConnectionPool" in message
    assert f"also accepted:    {tmp_path / 'torch/hub/checkpoints/resnet18-f37072fd.pth'}" in message
    assert error.value.__suppress_context__ and error.value.__cause__ is None  # one error, not a chain
    assert offline_downloads == [url, url]

    monkeypatch.setenv("FASTREID_OFFLINE", "1")  # no download attempted at all
    with pytest.raises(PretrainedWeightsNotFoundError, match="FASTREID_OFFLINE=1: no download attempted"):
        build_backbone(_pretrained_cfg("build_resnet_backbone", "18x"))
    assert offline_downloads == [url, url]


@pytest.mark.parametrize("name, depth, module, key", [
    ("build_osnet_backbone", "x0_25", "osnet", "osnet_x0_25"),          # gdown, FastReID's cache
    ("build_mobilenetv3_backbone", "Small", "mobilenetv3", "Small"),    # torch.hub, imported by name
    ("build_resnest_backbone", "50x", "resnest", "resnest50"),          # torch.hub, called as torch.hub.*
])
def test_row21_other_backbones_name_their_weights(offline_downloads, tmp_path, name, depth, module, key):
    import importlib

    from fastreid.modeling.backbones import build_backbone

    from hhcl.modeling import PretrainedWeightsNotFoundError

    url = importlib.import_module(f"fastreid.modeling.backbones.{module}").model_urls[key]
    file_name = f"{key}_imagenet.pth" if module == "osnet" else url.rsplit("/", 1)[-1]
    folder = tmp_path / "torch" / ("checkpoints" if module == "osnet" else "hub/checkpoints")
    with pytest.raises(PretrainedWeightsNotFoundError) as error:
        build_backbone(_pretrained_cfg(name, depth))
    _assert_names_file_folder_url(str(error.value), folder, file_name, url)
    assert offline_downloads == [url]


def test_row21_torchvision_resnet_in_hub_cache_is_loaded(offline_downloads, tmp_path, caplog):
    """A torchvision-style ResNet-18 checkpoint (random weights, torchvision's
    file name) in torch.hub's cache initialises FastReID's ResNet-18; the
    classifier keys are reported unused, as for FastReID's own file."""
    import logging

    import torchvision
    from fastreid.modeling.backbones import build_backbone

    from hhcl.compat.pretrained import torchvision_file_names

    torch.manual_seed(0)
    state = torchvision.models.resnet18(weights=None).state_dict()
    assert "resnet18-f37072fd.pth" in torchvision_file_names("18x")
    hub = tmp_path / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    torch.save(state, hub / "resnet18-f37072fd.pth")
    with caplog.at_level(logging.INFO, logger="fastreid"):
        model = build_backbone(_pretrained_cfg("build_resnet_backbone", "18x"))
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key          # every key matched
    assert offline_downloads == []
    log = caplog.text
    assert f"Loading pretrained model from {hub / 'resnet18-f37072fd.pth'}" in log
    assert "not used by the model" in log and "fc" in log and "not found in the checkpoint" not in log


# Rows 22-25: identities and cameras from the file name, not from a dataset root such as exp_2_c3.
def _write_images(folder, file_names: list[str]) -> list[str]:
    """Tiny JPEGs named ``file_names`` in ``folder``; their paths."""
    folder.mkdir(parents=True)
    for name in file_names:
        Image.new("RGB", (4, 8)).save(folder / name)
    return [str(folder / name) for name in file_names]


def test_row22_market1501_ids_and_cameras_from_file_names(tmp_path):
    from fastreid.data.datasets import Market1501

    root = tmp_path / "exp_2_c3"  # the whole path reads as identity 2, camera 3
    folder = root / "Market-1501-v15.09.15"
    train = _write_images(folder / "bounding_box_train", ["0005_c1s1_000151_01.jpg", "0005_c4s1_000201_02.jpg",
                                                          "0009_c6s2_000301_01.jpg", "-1_c2s1_000401_00.jpg"])
    query = _write_images(folder / "query", ["0009_c3s1_000501_00.jpg"])
    gallery = _write_images(folder / "bounding_box_test", ["0000_c1s1_000601_03.jpg", "0009_c5s1_000701_01.jpg",
                                                           "-1_c6s1_000801_00.jpg"])
    dataset = Market1501(root=str(root))
    assert sorted(dataset.train) == sorted([(train[0], "market1501_5", "market1501_0"),
                                            (train[1], "market1501_5", "market1501_3"),
                                            (train[2], "market1501_9", "market1501_5")])  # junk -1 skipped
    assert dataset.query == [(query[0], 9, 2)]
    assert sorted(dataset.gallery) == sorted([(gallery[0], 0, 0), (gallery[1], 9, 4)])

    misread = Market1501.process_dir.__wrapped__(dataset, str(folder / "bounding_box_train"))
    assert sorted(misread) == sorted((path, "market1501_2", "market1501_2") for path in train)  # junk kept


def test_row23_dukemtmc_ids_and_cameras_from_file_names(tmp_path):
    from fastreid.data.datasets import DukeMTMC

    root = tmp_path / "exp_2_c3"
    folder = root / "DukeMTMC-reID"
    train = _write_images(folder / "bounding_box_train", ["0005_c2_f0046985.jpg", "0011_c8_f0000101.jpg"])
    query = _write_images(folder / "query", ["0011_c1_f0000201.jpg"])
    gallery = _write_images(folder / "bounding_box_test", ["0011_c7_f0000301.jpg", "0042_c5_f0000401.jpg"])
    dataset = DukeMTMC(root=str(root))
    assert sorted(dataset.train) == sorted([(train[0], "dukemtmc_5", "dukemtmc_1"),
                                            (train[1], "dukemtmc_11", "dukemtmc_7")])
    assert dataset.query == [(query[0], 11, 0)]
    assert sorted(dataset.gallery) == sorted([(gallery[0], 11, 6), (gallery[1], 42, 4)])

    misread = DukeMTMC.process_dir.__wrapped__(dataset, str(folder / "query"), is_train=False)
    assert misread == [(query[0], 2, 2)]


def test_row24_veri_ids_and_cameras_from_file_names(tmp_path):
    from fastreid.data.datasets import VeRi

    root = tmp_path / "7_c005"  # the whole path reads as identity 7, camera 5
    folder = root / "veri"
    train = _write_images(folder / "image_train", ["0001_c001_00016450_0.jpg", "0002_c017_00084055_0.jpg"])
    query = _write_images(folder / "image_query", ["0002_c020_00010010_0.jpg"])
    gallery = _write_images(folder / "image_test", ["0002_c003_00020020_0.jpg", "0776_c012_00030030_0.jpg"])
    dataset = VeRi(root=str(root))
    assert sorted(dataset.train) == sorted([(train[0], "veri_1", "veri_0"), (train[1], "veri_2", "veri_16")])
    assert dataset.query == [(query[0], 2, 19)]
    assert sorted(dataset.gallery) == sorted([(gallery[0], 2, 2), (gallery[1], 776, 11)])

    misread = VeRi.process_dir.__wrapped__(dataset, str(folder / "image_train"))
    assert sorted(misread) == sorted((path, "veri_7", "veri_4") for path in train)


def test_row25_cuhksysu_ids_from_file_names(tmp_path):
    from fastreid.data.datasets import cuhkSYSU

    root = tmp_path / "exp_p2_s3"  # the whole path reads as identity 2
    folder = root / "cuhk_sysu" / "cropped_images"
    train = _write_images(folder, ["p11_s17.jpg", "p11_s2041.jpg", "p5498_s15073.jpg"])
    dataset = cuhkSYSU(root=str(root))
    assert sorted(dataset.train) == sorted([(train[0], "cuhksysu_11", "cuhksysu_0"),
                                            (train[1], "cuhksysu_11", "cuhksysu_0"),
                                            (train[2], "cuhksysu_5498", "cuhksysu_0")])

    misread = cuhkSYSU.process_dir.__wrapped__(dataset, str(folder))
    assert sorted(misread) == sorted((path, "cuhksysu_2", "cuhksysu_0") for path in train)


_TRAIN_AND_TEST = ({}, {"is_train": False})


@pytest.mark.parametrize("loader, folder, file_names, out_of_range, calls", [
    ("Market1501", "Market-1501-v15.09.15/bounding_box_train",
     ["0005_c1s1_000151_01.jpg", "0000_c6s1_000201_02.jpg", "-1_c2s1_000401_00.jpg"], "0005_c7s1_000101_00.jpg",
     _TRAIN_AND_TEST),
    ("DukeMTMC", "DukeMTMC-reID/bounding_box_train", ["0005_c2_f0046985.jpg", "0011_c8_f0000101.jpg"],
     "0005_c9_f0000001.jpg", _TRAIN_AND_TEST),
    ("VeRi", "veri/image_train", ["0001_c001_00016450_0.jpg", "0776_c020_00084055_0.jpg"],
     "0001_c021_00000001_0.jpg", _TRAIN_AND_TEST),
    ("cuhkSYSU", "cuhk_sysu/cropped_images", ["p11_s17.jpg", "p-1_s3.jpg"], None, ({},)),  # train only
])
def test_rows22_25_keep_fastreid_rules_on_a_plain_root(tmp_path, loader, folder, file_names, out_of_range, calls):
    """On a root without the pattern, the patched loaders give what FastReID
    gives (same order, junk ids, relabelling), and fail its assertions alike."""
    from fastreid.data.datasets import DATASET_REGISTRY

    process_dir = DATASET_REGISTRY.get(loader).process_dir
    dataset = object.__new__(DATASET_REGISTRY.get(loader))
    folder = tmp_path / "plain" / folder
    _write_images(folder, file_names)
    for kwargs in calls:
        assert process_dir(dataset, str(folder), **kwargs) == process_dir.__wrapped__(dataset, str(folder), **kwargs)
    if out_of_range:
        _write_images(folder / "out_of_range", [out_of_range])
        for read in (process_dir, process_dir.__wrapped__):
            with pytest.raises(AssertionError):
                read(dataset, str(folder / "out_of_range"))
