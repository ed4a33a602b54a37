"""``FolderSpec``: where a folder dataset is and how its file names are read
(``DATASETS.FOLDER.*``)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from fastreid.config import CfgNode

from ..dataset_options import register_dataset_options
from ..errors import DatasetNotFoundError

KEY = "DATASETS.FOLDER"
#: Where an image's identity comes from (``ID_FROM``).
ID_SOURCES = ("pattern", "folder", "none")
#: Market-1501 file names: ``0002_c1s1_000451_03.jpg`` → id 0002, camera 1.
MARKET_PATTERN = r"^(?P<id>-?\d+)_c(?P<camera>\d+)"


@dataclass(frozen=True)
class FolderSpec:
    """The options of :class:`~hhcl.data.FolderDataset`, one per
    ``DATASETS.FOLDER`` key (see ``hhcl/config/defaults.py``).

    ``id_from`` reads the identities of query and gallery, ``train_id_from``
    those of the train images (``same``: as ``id_from``). Invalid values
    raise ``ValueError`` naming the key.
    """

    root: str = ""
    train_dir: str = "train"
    query_dir: str = "query"
    gallery_dir: str = "gallery"
    id_from: str = "pattern"
    train_id_from: str = "same"
    pattern: str = MARKET_PATTERN

    def __post_init__(self):
        if self.id_from not in ID_SOURCES:
            raise ValueError(f"{KEY}.ID_FROM is {self.id_from!r}; use one of {', '.join(ID_SOURCES)}")
        if self.train_id_from not in ("same",) + ID_SOURCES:
            raise ValueError(f"{KEY}.TRAIN_ID_FROM is {self.train_id_from!r}; use same or one of "
                             f"{', '.join(ID_SOURCES)}")
        try:
            groups = re.compile(self.pattern).groupindex
        except re.error as error:
            raise ValueError(f"{KEY}.PATTERN {self.pattern!r} is not a regular expression: {error}") from error
        if "id" not in groups:
            raise ValueError(f"{KEY}.PATTERN {self.pattern!r} has no named group 'id', e.g. {MARKET_PATTERN!r}")

    @classmethod
    def from_cfg(cls, node: CfgNode) -> "FolderSpec":
        """The spec of a ``DATASETS.FOLDER`` config node."""
        return cls(root=node.ROOT, train_dir=node.TRAIN_DIR, query_dir=node.QUERY_DIR, gallery_dir=node.GALLERY_DIR,
                   id_from=node.ID_FROM, train_id_from=node.TRAIN_ID_FROM, pattern=node.PATTERN)

    @property
    def regex(self) -> re.Pattern:
        return re.compile(self.pattern)

    def source(self, split: str) -> str:
        """Where the identities of ``split`` (train, query, gallery) come from."""
        return self.id_from if split != "train" or self.train_id_from == "same" else self.train_id_from

    def has_cameras(self, split: str) -> bool:
        """Cameras come from the pattern's ``camera`` group, when identities come from the pattern."""
        return self.source(split) == "pattern" and "camera" in self.regex.groupindex

    def resolve_root(self, datasets_root: str) -> str:
        """``ROOT`` as an absolute path (a relative one is under FastReID's
        datasets root); missing or unset: an error naming the key."""
        if not self.root:
            raise ValueError(f"{KEY}.ROOT is not set: give the folder that holds your images, absolute or relative "
                             f"to the datasets root {os.path.abspath(datasets_root)!r} (FASTREID_DATASETS), e.g. "
                             f"{KEY}.ROOT /path/to/crops on the command line")
        root = os.path.abspath(os.path.join(datasets_root, os.path.expanduser(self.root)))
        if not os.path.isdir(root):
            raise DatasetNotFoundError(f"FolderDataset: {KEY}.ROOT {self.root!r} is {root!r}, which is not a folder "
                                       f"(a relative ROOT is under the datasets root "
                                       f"{os.path.abspath(datasets_root)!r}, set by FASTREID_DATASETS)")
        return root


@register_dataset_options("FolderDataset")
def folder_dataset_kwargs(cfg: CfgNode) -> dict[str, Any]:
    """FolderDataset's constructor options: the spec of ``DATASETS.FOLDER``."""
    return {"folder_spec": FolderSpec.from_cfg(cfg.DATASETS.FOLDER)}
