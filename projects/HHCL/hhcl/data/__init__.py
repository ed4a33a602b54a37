"""Data: the synthetic datasets, MSMT17 as the releases read it, your own
folder of images, train transforms, samplers, the pseudo-label loader and
clear errors for missing, empty or unreadable data."""

from .dataset_options import DATASET_OPTIONS, build_dataset, dataset_kwargs, register_dataset_options
from .errors import DatasetNotFoundError, EmptyDatasetError, UnreadableImageError
from .folder import FolderDataset, FolderSpec
from .msmt17 import MSMT17TrainVal
from .pseudo_label_loader import build_pseudo_label_loader
from .samplers import (SAMPLER_REGISTRY, CameraAwareIdentitySampler, RandomMultipleGallerySampler,
                       RandomMultipleGallerySamplerNoCam, build_train_sampler)
from .synthetic import SyntheticSource, SyntheticSpec, SyntheticTarget
from .synthetic_config import synthetic_specs_from_cfg
from .test_split import TestSplit, load_test_split
from .train_items import load_train_items
from .transforms import RandomColorCast, ReleaseRandomErasing, build_train_transforms
from .unknown_identity import UnknownIdentity, identities_known

__all__ = ["DATASET_OPTIONS", "SAMPLER_REGISTRY", "CameraAwareIdentitySampler", "DatasetNotFoundError",
           "EmptyDatasetError", "FolderDataset", "FolderSpec", "MSMT17TrainVal", "RandomColorCast",
           "RandomMultipleGallerySampler", "RandomMultipleGallerySamplerNoCam", "ReleaseRandomErasing",
           "SyntheticSource", "SyntheticSpec", "SyntheticTarget", "TestSplit", "UnknownIdentity",
           "UnreadableImageError", "build_dataset", "build_pseudo_label_loader", "build_train_sampler",
           "build_train_transforms", "dataset_kwargs", "identities_known", "load_test_split", "load_train_items",
           "register_dataset_options", "synthetic_specs_from_cfg"]
