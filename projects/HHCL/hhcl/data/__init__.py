"""Data: the synthetic datasets and clear errors for missing or unreadable data."""

from .errors import install_clear_data_errors
from .samplers import CameraAwareIdentitySampler
from .synthetic import SyntheticSource, SyntheticSpec, SyntheticTarget
from .synthetic_config import dataset_kwargs, synthetic_specs_from_cfg
from .train_items import load_train_items


__all__ = ["CameraAwareIdentitySampler", "SyntheticSource", "SyntheticSpec", "SyntheticTarget", "dataset_kwargs",
           "install_clear_data_errors", "load_train_items", "synthetic_specs_from_cfg"]
