"""``FolderDataset``: your own images, with or without identities and cameras."""

from __future__ import annotations

import logging
import os

from fastreid.data.datasets import DATASET_REGISTRY
from fastreid.data.datasets.bases import ImageDataset

from ..unknown_identity import UnknownIdentity
from .listing import Labelled, list_images, read_labels
from .spec import KEY, FolderSpec

logger = logging.getLogger(__name__)


@DATASET_REGISTRY.register()
class FolderDataset(ImageDataset):
    """Images under ``DATASETS.FOLDER.ROOT``: ``TRAIN_DIR``, ``QUERY_DIR``
    and ``GALLERY_DIR`` are sub-folders of it, searched recursively for
    .jpg/.jpeg/.png/.bmp files (by extension only: a file that is not an
    image is reported when read, as :class:`~hhcl.data.UnreadableImageError`),
    sorted by path. Query and gallery may be the same folder.

    Identities (``ID_FROM`` for query and gallery, ``TRAIN_ID_FROM`` for
    train): ``pattern`` (the ``id`` group of ``PATTERN`` on the file name),
    ``folder`` (the first sub-folder under the split's folder), ``none``.
    Cameras come from ``PATTERN``'s ``camera`` group under ``pattern``;
    otherwise the dataset has none (camera 0 everywhere, ``has_cameras``
    False), and evaluation with ``TEST.PROTOCOL auto`` uses the camera-free
    protocol (docs/DESIGN.md, "Your own data").

    Items are FastReID's: train (path, "folder_<id>", "folder_<camera>"),
    query and gallery (path, int, int) with ids and cameras numbered in
    sorted order of their names over query and gallery together. A train
    image without identity gets its own :class:`~hhcl.data.UnknownIdentity`
    (the pseudo-label log then reports its quality as unavailable).

    Train without cameras with ``DATALOADER.SAMPLER_TRAIN
    RandomMultipleGallerySamplerNoCam`` (what ``configs/HHCL/folder.yml``
    sets): ``RandomMultipleGallerySampler`` falls back to the same camera
    when there is no other one, so with a single camera it draws exactly
    the same batches.

    A missing or empty folder, a pattern that does not read the file names,
    and images outside identity folders raise at construction (train: when
    first listed), naming the folder and the ``DATASETS.FOLDER`` key.
    """

    dataset_name = "folder"

    def __init__(self, root: str = "datasets", folder_spec: FolderSpec | None = None, **kwargs):
        self.spec = folder_spec or FolderSpec()
        self.dataset_dir = self.spec.resolve_root(root)
        self.train_dir, self.query_dir, self.gallery_dir = (
            os.path.join(self.dataset_dir, d) for d in (self.spec.train_dir, self.spec.query_dir,
                                                         self.spec.gallery_dir))
        #: Whether query and gallery have camera ids (False: all 0).
        self.has_cameras = self.spec.has_cameras("query")
        self._test_cache: tuple[list, list] | None = None
        super().__init__(self._train_items, lambda: self._test_items()[0], lambda: self._test_items()[1], **kwargs)

    def _split(self, split: str, folder: str) -> list[Labelled]:
        key = f"{KEY}.{split.upper()}_DIR"
        return read_labels(folder, list_images(folder, key), self.spec.source(split), self.spec.regex, key)

    def _train_items(self) -> list[tuple[str, str, str]]:
        items = []
        for path, identity, camera in self._split("train", self.train_dir):
            pid = (f"{self.dataset_name}_{identity}" if identity is not None
                   else UnknownIdentity(f"{self.dataset_name}_image_{path}"))
            items.append((path, pid, f"{self.dataset_name}_{camera or 0}"))
        return items

    def _test_items(self) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
        """Query and gallery, listed once, numbered together."""
        if self._test_cache is None:
            query, gallery = self._split("query", self.query_dir), self._split("gallery", self.gallery_dir)
            # Without identities every image is its own (the same image in query and gallery: the same id).
            named = [(path, path if identity is None else identity, camera or "")
                     for path, identity, camera in query + gallery]
            identities = _numbering(identity for _, identity, _ in named)
            cameras = _numbering(camera for _, _, camera in named)
            items = [(path, identities[identity], cameras[camera]) for path, identity, camera in named]
            self._test_cache = items[:len(query)], items[len(query):]
        return self._test_cache

    def show_train(self):
        super().show_train()
        source = self.spec.source("train")
        if source == "none" or not self.spec.has_cameras("train"):
            identities = ("no identities (each image counts as one id above; unsupervised training does not use them)"
                          if source == "none" else f"identities from {source} ({KEY}.TRAIN_ID_FROM)")
            cameras = "cameras from PATTERN" if self.spec.has_cameras("train") else "no cameras (camera 0 for all)"
            logger.info(f"FolderDataset train images: {identities}, {cameras}")

    def show_test(self):
        super().show_test()
        if not self.has_cameras:
            logger.info(f"FolderDataset query and gallery: identities from {self.spec.id_from} ({KEY}.ID_FROM), "
                        f"no cameras (camera 0 for all)")


def _numbering(names) -> dict[str, int]:
    """Each distinct name → its position in sorted order."""
    return {name: index for index, name in enumerate(sorted(set(names)))}
