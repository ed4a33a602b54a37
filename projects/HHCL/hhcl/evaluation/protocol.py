"""Which evaluation protocol a test set is scored under (``TEST.PROTOCOL``),
and the check, before training, that it can be scored at all
(docs/DESIGN.md, "Your own data")."""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np

from .rank import PROTOCOLS, evaluable_queries

logger = logging.getLogger(__name__)

#: ``TEST.PROTOCOL`` values: ``auto`` or one of :data:`~hhcl.evaluation.rank.PROTOCOLS`.
SETTINGS = ("auto",) + PROTOCOLS

DESCRIPTIONS = {
    "cameras": "FastReID's protocol: a query's gallery leaves out the images of its identity and camera",
    "camera_free": "the camera-free protocol: a query's gallery leaves out only the query image itself",
}


def select_protocol(setting: str, has_cameras: bool) -> str:
    """The protocol ``TEST.PROTOCOL`` = ``setting`` gives a test set:
    ``auto`` is ``cameras`` when it has camera ids, ``camera_free`` otherwise."""
    if setting not in SETTINGS:
        raise ValueError(f"TEST.PROTOCOL is {setting!r}; use one of {', '.join(SETTINGS)}")
    if setting == "auto":
        return "cameras" if has_cameras else "camera_free"
    return setting


def selected_by(setting: str, has_cameras: bool) -> str:
    """Why :func:`select_protocol` chose what it chose, for the log."""
    if setting != "auto":
        return f"TEST.PROTOCOL {setting}"
    return f"TEST.PROTOCOL auto, the test set {'has' if has_cameras else 'has no'} camera ids"


def check_evaluable(dataset_name: str, query: Sequence[tuple], gallery: Sequence[tuple], protocol: str,
                    reason: str = "") -> int:
    """Raise ``ValueError`` naming the dataset, the protocol and what to do
    when no query of the (path, id, camera) items has a true match under
    ``protocol``; otherwise log the protocol and return the number of
    queries that will be scored (the others are skipped, as FastReID does).
    ``reason``: why this protocol (default ``TEST.PROTOCOL <protocol>``)."""
    reason = reason or f"TEST.PROTOCOL {protocol}"
    valid = evaluable_queries(*_columns(query, gallery), protocol=protocol, q_images=[item[0] for item in query],
                              g_images=[item[0] for item in gallery])
    if not valid.any():
        if protocol == "cameras":
            advice = ("Its images may all come from one camera, or lack camera ids: give them camera ids (for "
                      "FolderDataset, a `camera` group in DATASETS.FOLDER.PATTERN) or evaluate with TEST.PROTOCOL "
                      "camera_free.")
        else:
            advice = ("Query and gallery must share identities (for FolderDataset: DATASETS.FOLDER.ID_FROM pattern "
                      "or folder, not none, and the same identity names in QUERY_DIR and GALLERY_DIR).")
        raise ValueError(f"{dataset_name} cannot be evaluated under {DESCRIPTIONS[protocol]} ({reason}): "
                         f"none of its {len(query)} queries has a true match among its "
                         f"{len(gallery)} gallery images. {advice}")
    logger.info(f"{dataset_name} is evaluated under {DESCRIPTIONS[protocol]} ({reason}); "
                f"{int(valid.sum())} of {len(query)} queries have a true match")
    return int(valid.sum())


def _columns(query: Sequence[tuple], gallery: Sequence[tuple]) -> tuple[np.ndarray, ...]:
    """Query ids, gallery ids, query cameras, gallery cameras."""
    return tuple(np.array([item[column] for item in split]) for column in (1, 2) for split in (query, gallery))
