"""Data: the synthetic datasets, train transforms, samplers and clear errors for
missing, empty or unreadable data."""

from .errors import DatasetNotFoundError, EmptyDatasetError, UnreadableImageError, install_clear_data_errors
from .pseudo_label_loader import build_pseudo_label_loader
from .samplers import CameraAwareIdentitySampler
from .synthetic import SyntheticSource, SyntheticSpec, SyntheticTarget
from .synthetic_config import dataset_kwargs, synthetic_specs_from_cfg
from .train_items import load_train_items
from .transforms import RandomColorCast, build_train_transforms


__all__ = ["CameraAwareIdentitySampler", "DatasetNotFoundError", "EmptyDatasetError", "RandomColorCast",
           "SyntheticSource", "SyntheticSpec", "SyntheticTarget", "UnreadableImageError", "build_pseudo_label_loader", "build_train_transforms",
           "dataset_kwargs", "install_clear_data_errors", "load_train_items", "synthetic_specs_from_cfg"]
