"""Procedural person re-ID data (docs/DESIGN.md, "Synthetic data")."""

from .dataset import SyntheticPersons, SyntheticSource, SyntheticTarget
from .generate import dataset_folder, ensure_dataset, plan_images, render_planned
from .spec import SOURCE_DEFAULTS, TARGET_DEFAULTS, SyntheticSpec

__all__ = ["SOURCE_DEFAULTS", "TARGET_DEFAULTS", "SyntheticPersons", "SyntheticSource",
           "SyntheticSpec", "SyntheticTarget", "dataset_folder", "ensure_dataset", "plan_images",
           "render_planned"]
