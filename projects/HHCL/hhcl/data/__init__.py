"""Data: the synthetic datasets and clear errors for missing or unreadable data."""

from .errors import install_clear_data_errors
from .synthetic import SyntheticSource, SyntheticSpec, SyntheticTarget
from .synthetic_config import dataset_kwargs, synthetic_specs_from_cfg


__all__ = ["SyntheticSource", "SyntheticSpec", "SyntheticTarget", "dataset_kwargs",
           "install_clear_data_errors", "synthetic_specs_from_cfg"]
