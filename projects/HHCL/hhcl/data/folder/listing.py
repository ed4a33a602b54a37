"""The images of one split folder and what their names say: identity, camera.

Images are found by extension only (:data:`IMAGE_EXTENSIONS`, any case);
a file that has one but is not an image is reported when it is read
(:class:`~hhcl.data.UnreadableImageError`). Hidden files and folders (names
starting with ".") are skipped; linked folders are followed, once each.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple

from ..errors import DatasetNotFoundError, EmptyDatasetError
from .spec import KEY

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")
_EXAMPLES = 3


class Labelled(NamedTuple):
    """An image (absolute path) with its identity and camera names (None: unknown)."""

    path: str
    identity: str | None
    camera: str | None


def list_images(folder: str, key: str) -> list[str]:
    """Paths relative to ``folder`` ("/"-separated, sorted) of every image
    under it, sub-folders included. A missing folder or one without images
    raises an error naming it and the config ``key`` it comes from."""
    if not os.path.isdir(folder):
        raise DatasetNotFoundError(f"FolderDataset: {key} is {folder!r}, which is not a folder. Create it or "
                                   f"set {key}.")
    images, others, visited = [], [], set()
    for directory, subdirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(directory)
        subdirs[:] = [d for d in subdirs if not d.startswith(".")] if real not in visited else []
        if real in visited:  # a link back up the tree
            continue
        visited.add(real)
        relative = os.path.relpath(directory, folder)
        for name in files:
            if name.startswith("."):
                continue
            path = name if relative == "." else f"{relative.replace(os.sep, '/')}/{name}"
            (images if name.lower().endswith(IMAGE_EXTENSIONS) else others).append(path)
    if not images:
        examples = ", ".join(sorted(others)[:_EXAMPLES])
        plural = "s" if len(others) > 1 else ""
        seen = f"{len(others)} other file{plural}, e.g. {examples}" if others else "no file at all"
        raise EmptyDatasetError(f"FolderDataset: {key} {folder!r} holds no image (looked for "
                                f"{', '.join(IMAGE_EXTENSIONS)} in it and its sub-folders; found {seen}).")
    return sorted(images)


def read_labels(folder: str, images: list[str], id_from: str, pattern: re.Pattern, key: str) -> list[Labelled]:
    """Identity and camera of every image of ``folder`` (``images`` relative
    to it) read as ``id_from`` says: ``pattern`` on the file name (its ``id``
    group, its ``camera`` group if it has one; Market-1501's junk id -1 is
    skipped as FastReID does), ``folder`` (the first sub-folder), or ``none``."""
    paths = [os.path.join(folder, *image.split("/")) for image in images]
    if id_from == "none":
        return [Labelled(path, None, None) for path in paths]
    if id_from == "folder":
        loose = [image for image in images if "/" not in image]
        if loose:
            raise ValueError(f"FolderDataset: {len(loose)} of {len(images)} images lie directly in {key} {folder!r}, "
                             f"outside any identity folder (ID_FROM folder: {folder}/<identity>/...), e.g. "
                             f"{', '.join(loose[:_EXAMPLES])}. Move them into a folder per identity, or set "
                             f"{KEY}.ID_FROM pattern or none.")
        return [Labelled(path, image.split("/")[0], None) for path, image in zip(paths, images)]
    return _read_pattern(folder, images, paths, pattern, key)


def _read_pattern(folder: str, images: list[str], paths: list[str], pattern: re.Pattern,
                  key: str) -> list[Labelled]:
    with_camera = "camera" in pattern.groupindex
    labelled, unmatched = [], []
    for path, image in zip(paths, images):
        match = pattern.search(image.rsplit("/", 1)[-1])
        if match is None or (with_camera and match["camera"] is None):
            unmatched.append(image)
        elif match["id"] != "-1":
            labelled.append(Labelled(path, match["id"], match["camera"] if with_camera else None))
    if unmatched:
        names = ", ".join(name.rsplit("/", 1)[-1] for name in unmatched[:_EXAMPLES])
        which = ("matches no file name" if len(unmatched) == len(images)
                 else f"does not match {len(unmatched)} of {len(images)} file names")
        raise ValueError(f"FolderDataset: {KEY}.PATTERN {pattern.pattern!r} {which} in {key} {folder!r}, "
                         f"e.g. {names}. Set a PATTERN whose 'id' group (and optional 'camera' group) reads these "
                         f"names, or {KEY}.ID_FROM folder or none (TRAIN_ID_FROM for the train images).")
    return labelled
