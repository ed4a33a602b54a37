"""ImageNet weights of FastReID's backbones without internet (row 21 of
docs/COMPAT.md): found in FastReID's cache, or in torch.hub's (where
torchvision keeps its own checkpoint of the same ResNet), or one error that
names the file looked for, the cache folder, the URL and
``MODEL.BACKBONE.PRETRAIN_PATH``, instead of a chain of network tracebacks.

FastReID gets the weights of ``MODEL.BACKBONE.PRETRAIN True`` without a
``PRETRAIN_PATH`` in two ways: ``init_pretrained_weights`` (ResNet, ResNeXt,
OSNet, RegNet, EfficientNet) downloads with gdown into
``$TORCH_HOME/checkpoints``; MobileNetV3 and ResNeSt call
``torch.hub.load_state_dict_from_url``, whose cache is
``$TORCH_HOME/hub/checkpoints``. ``FASTREID_OFFLINE=1`` skips every download
attempt (machines where a connection hangs instead of failing).

:class:`~hhcl.modeling.PretrainedWeightsNotFoundError` is imported inside the
replacements: ``hhcl.modeling`` needs FastReID, which needs the import-time
patches first.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
import urllib.parse
from typing import Callable

import torch

#: Set to ``1`` to never download pretrained weights: a missing file is
#: reported at once.
OFFLINE_ENV = "FASTREID_OFFLINE"

#: FastReID's ResNet depths that are torchvision's networks, key for key.
TORCHVISION_RESNETS = {"18x": "resnet18", "34x": "resnet34", "50x": "resnet50", "101x": "resnet101"}


def offline() -> bool:
    """Whether :data:`OFFLINE_ENV` forbids downloads."""
    return os.environ.get(OFFLINE_ENV, "").strip() not in ("", "0")


def fastreid_cache_dir() -> str:
    """Where FastReID's ``init_pretrained_weights`` keeps downloads:
    ``$TORCH_HOME/checkpoints`` (``TORCH_HOME`` defaults to
    ``$XDG_CACHE_HOME/torch``, then ``~/.cache/torch``)."""
    torch_home = os.getenv("TORCH_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "torch"))
    return os.path.join(os.path.expanduser(torch_home), "checkpoints")


def hub_cache_dir() -> str:
    """torch.hub's (and torchvision's) checkpoint cache: ``$TORCH_HOME/hub/checkpoints``."""
    return os.path.join(torch.hub.get_dir(), "checkpoints")


def torchvision_file_names(depth: str) -> list[str]:
    """The file names of torchvision's ImageNet checkpoints of FastReID's
    ResNet of ``depth`` (``50x``: ``resnet50-0676ba61.pth``, ``resnet50-11ad3fa6.pth``),
    whose state-dict keys are FastReID's; none for other depths or variants."""
    architecture = TORCHVISION_RESNETS.get(depth)
    if architecture is None:
        return []
    try:
        from torchvision.models import get_model_weights

        return [_url_file_name(weights.url) for weights in get_model_weights(architecture)]
    except Exception:  # an old or missing torchvision: nothing more to look for
        return []


def init_weights_from_cache_or_clear_error(original: Callable) -> Callable:
    """FastReID's ``init_pretrained_weights(key)`` / ``(model, key)``: when the
    file is not in ``$TORCH_HOME/checkpoints``, no download attempt under
    ``FASTREID_OFFLINE=1``, and a failed download becomes one
    :class:`~hhcl.modeling.PretrainedWeightsNotFoundError`."""
    module_name = original.__module__

    def init_pretrained_weights(*args, **kwargs):
        key = kwargs["key"] if "key" in kwargs else args[-1]
        url = sys.modules[module_name].model_urls.get(key)
        if url is None:  # FastReID's own error
            return original(*args, **kwargs)
        file_name = _fastreid_file_name(module_name, key, url)
        return _load_or_clear_error(lambda: original(*args, **kwargs), url, file_name, fastreid_cache_dir())

    return init_pretrained_weights


def resnet_weights_from_any_cache(original: Callable) -> Callable:
    """ResNet's ``init_pretrained_weights(key)``: FastReID's file in its own
    cache; otherwise FastReID's file or torchvision's checkpoint of the same
    network (plain depths: 18x, 34x, 50x, 101x) in torch.hub's cache, loaded
    as it is (the builder reports missing and unexpected keys, as for
    FastReID's file); otherwise as :func:`init_weights_from_cache_or_clear_error`."""
    module_name = original.__module__

    def init_pretrained_weights(key):
        url = sys.modules[module_name].model_urls.get(key)
        if url is None:
            return original(key)
        file_name = _url_file_name(url)
        hub_names = [file_name] + [name for name in torchvision_file_names(key) if name != file_name]
        if not os.path.exists(os.path.join(fastreid_cache_dir(), file_name)):
            for name in hub_names:
                path = os.path.join(hub_cache_dir(), name)
                if os.path.exists(path):
                    logging.getLogger(module_name).info(
                        f"Loading pretrained model from {path} (torch.hub's cache"
                        f"{'' if name == file_name else ', torchvision checkpoint of the same network'})")
                    return torch.load(path, map_location=torch.device("cpu"), weights_only=True)
        also = [os.path.join(hub_cache_dir(), name) for name in hub_names]
        return _load_or_clear_error(lambda: original(key), url, file_name, fastreid_cache_dir(), also)

    return init_pretrained_weights


def hub_weights_or_clear_error(original: Callable) -> Callable:
    """``load_state_dict_from_url`` as MobileNetV3 imported it: without the
    file in torch.hub's cache, no download attempt under ``FASTREID_OFFLINE=1``,
    and a failed download becomes one
    :class:`~hhcl.modeling.PretrainedWeightsNotFoundError`."""
    signature = inspect.signature(original)

    def load_state_dict_from_url(url, *args, **kwargs):
        bound = signature.bind(url, *args, **kwargs).arguments
        folder = bound.get("model_dir") or hub_cache_dir()
        file_name = bound.get("file_name") or _url_file_name(url)
        return _load_or_clear_error(lambda: original(url, *args, **kwargs), url, file_name, folder)

    return load_state_dict_from_url


def resnest_builder_with_clear_error(original: Callable) -> Callable:
    """``build_resnest_backbone``, which downloads with
    ``torch.hub.load_state_dict_from_url`` (an attribute of ``torch.hub``,
    not a name of its module): the same handling as
    :func:`hub_weights_or_clear_error` around the builder."""

    def build_resnest_backbone(cfg):
        from fastreid.modeling.backbones import resnest

        backbone = cfg.MODEL.BACKBONE
        url = resnest.model_urls.get("resnest" + backbone.DEPTH[:-1])
        if not backbone.PRETRAIN or backbone.PRETRAIN_PATH or url is None:
            return original(cfg)
        return _load_or_clear_error(lambda: original(cfg), url, _url_file_name(url), hub_cache_dir())

    return build_resnest_backbone


def _load_or_clear_error(load: Callable, url: str, file_name: str, folder: str, also: list[str] = ()):
    """``load()`` (FastReID's code) when ``folder/file_name`` exists or may
    be downloaded; the clear error when it is missing and cannot be."""
    cached = os.path.join(folder, file_name)
    if os.path.exists(cached):
        return load()
    if offline():
        raise _not_found(file_name, folder, url, f"{OFFLINE_ENV}=1: no download attempted", also)
    try:
        return load()
    except _download_errors() as error:
        if os.path.exists(cached):
            raise
        raise _not_found(file_name, folder, url, _summary(error), also) from None


def _not_found(file_name: str, folder: str, url: str, reason: str, also) -> Exception:
    from ..modeling.errors import PretrainedWeightsNotFoundError

    accepted = "".join(f"\n  also accepted:    {path}" for path in also if path != os.path.join(folder, file_name))
    return PretrainedWeightsNotFoundError(
        f"MODEL.BACKBONE.PRETRAIN is True, but the backbone's ImageNet weights {file_name} are not in the "
        f"cache and cannot be downloaded ({reason}).\n"
        f"  file looked for:  {os.path.join(folder, file_name)}{accepted}\n"
        f"  cache folder:     {folder}\n"
        f"  URL:              {url}\n"
        f"Download the URL on a machine with internet and copy the file into the cache folder, or set "
        f"MODEL.BACKBONE.PRETRAIN_PATH to a copy of it (in the config file, or on the command line: "
        f"MODEL.BACKBONE.PRETRAIN_PATH /path/to/{file_name}), or train from scratch with "
        f"MODEL.BACKBONE.PRETRAIN False.")


def _download_errors() -> tuple[type[BaseException], ...]:
    """What a failed download raises: ``OSError`` (``URLError``, requests'
    ``ConnectionError``, timeouts, FastReID's ``torch.load`` of the file
    that never came) and gdown's own errors."""
    try:
        from gdown.exceptions import DownloadError

        return OSError, DownloadError
    except ImportError:
        return (OSError,)


def _summary(error: BaseException, limit: int = 200) -> str:
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _url_file_name(url: str) -> str:
    return os.path.basename(urllib.parse.urlparse(url).path)


def _fastreid_file_name(module_name: str, key: str, url: str) -> str:
    """OSNet names its files after the key (its URLs are Google Drive ids);
    the other backbones after the URL."""
    return f"{key}_imagenet.pth" if module_name.endswith(".osnet") else _url_file_name(url)
