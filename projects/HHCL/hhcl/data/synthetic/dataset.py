"""The synthetic source and target sets, registered in FastReID's DATASET_REGISTRY."""

from __future__ import annotations

import glob
import os
import re
from typing import Mapping

from fastreid.data.datasets import DATASET_REGISTRY
from fastreid.data.datasets.bases import ImageDataset
from fastreid.utils import comm

from .generate import GALLERY_DIR, QUERY_DIR, TRAIN_DIR, dataset_folder, ensure_dataset
from .spec import SOURCE_DEFAULTS, TARGET_DEFAULTS, SyntheticSpec

_NAME_PATTERN = re.compile(r"(\d+)_c(\d)s")


class SyntheticPersons(ImageDataset):
    """Procedural pedestrians in Market-1501 layout, generated on first use.

    Args:
        root: the datasets root (FastReID passes ``FASTREID_DATASETS``).
        synthetic_specs: spec per registered class name, from the config
            (:func:`hhcl.data.synthetic_specs_from_cfg`); the class defaults
            are used when absent.
    """

    variant = ""
    default_spec = SOURCE_DEFAULTS

    def __init__(self, root: str = "datasets",
                 synthetic_specs: Mapping[str, SyntheticSpec] | None = None, **kwargs):
        self.spec = (synthetic_specs or {}).get(type(self).__name__, self.default_spec)
        self.dataset_name = f"synth{self.variant}"
        if comm.is_main_process():
            ensure_dataset(root, self.spec, self.variant)
        comm.synchronize()  # the other ranks wait for rank 0 to generate it
        self.dataset_dir = str(dataset_folder(root, self.spec, self.variant))
        train_dir, query_dir, gallery_dir = (os.path.join(self.dataset_dir, d)
                                             for d in (TRAIN_DIR, QUERY_DIR, GALLERY_DIR))
        self.check_before_run([train_dir, query_dir, gallery_dir])
        super().__init__(lambda: self.process_dir(train_dir),
                         lambda: self.process_dir(query_dir, is_train=False),
                         lambda: self.process_dir(gallery_dir, is_train=False), **kwargs)

    def process_dir(self, dir_path: str, is_train: bool = True) -> list[tuple[str, object, object]]:
        """(path, pid, camid) items of a folder, sorted by file name; train
        ids and cameras are prefixed with the dataset name, as FastReID does."""
        items = []
        for path in sorted(glob.glob(os.path.join(dir_path, "*.jpg"))):
            pid, camid = map(int, _NAME_PATTERN.search(os.path.basename(path)).groups())
            camid -= 1
            if is_train:
                items.append((path, f"{self.dataset_name}_{pid}", f"{self.dataset_name}_{camid}"))
            else:
                items.append((path, pid, camid))
        return items


@DATASET_REGISTRY.register()
class SyntheticSource(SyntheticPersons):
    """Labelled synthetic source set (4 cameras by default): trains the stock
    supervised baseline and stands in for source/ImageNet pre-training."""

    variant = "source"
    default_spec = SOURCE_DEFAULTS


@DATASET_REGISTRY.register()
class SyntheticTarget(SyntheticPersons):
    """Synthetic target set (6 other cameras, disjoint identities by default):
    the unsupervised methods train on it without labels."""

    variant = "target"
    default_spec = TARGET_DEFAULTS
