"""Data: the synthetic datasets, MSMT17 as the releases read it, train
transforms, samplers, the pseudo-label loader and clear errors for missing,
empty or unreadable data."""

from .errors import DatasetNotFoundError, EmptyDatasetError, UnreadableImageError
from .msmt17 import MSMT17TrainVal
from .pseudo_label_loader import build_pseudo_label_loader
from .samplers import (SAMPLER_REGISTRY, CameraAwareIdentitySampler, RandomMultipleGallerySampler,
                       RandomMultipleGallerySamplerNoCam, build_train_sampler)
from .synthetic import SyntheticSource, SyntheticSpec, SyntheticTarget
from .synthetic_config import dataset_kwargs, synthetic_specs_from_cfg
from .train_items import load_train_items
from .transforms import RandomColorCast, ReleaseRandomErasing, build_train_transforms

__all__ = ["SAMPLER_REGISTRY", "CameraAwareIdentitySampler", "DatasetNotFoundError", "EmptyDatasetError",
           "MSMT17TrainVal", "RandomColorCast", "RandomMultipleGallerySampler", "RandomMultipleGallerySamplerNoCam",
           "ReleaseRandomErasing", "SyntheticSource", "SyntheticSpec", "SyntheticTarget", "UnreadableImageError",
           "build_pseudo_label_loader", "build_train_sampler", "build_train_transforms", "dataset_kwargs",
           "load_train_items", "synthetic_specs_from_cfg"]
