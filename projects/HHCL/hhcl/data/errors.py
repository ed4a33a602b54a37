"""Clear errors for missing or empty dataset folders and unreadable images.

FastReID reports a missing dataset as ``RuntimeError: "datasets/" is not
found`` and an unreadable image with PIL's message, which for a truncated
file does not name the file. These wrappers name what was looked for, where,
and what to change.
"""

from __future__ import annotations

import os

_MARK = "__hhcl_clear_errors__"


class DatasetNotFoundError(FileNotFoundError):
    """A dataset folder FastReID needs does not exist."""


class EmptyDatasetError(ValueError):
    """A dataset folder exists but holds no train image (FastReID's PK
    sampler would wait forever for an identity)."""


class UnreadableImageError(OSError):
    """An image file exists in a dataset but cannot be decoded."""


def check_before_run(self, required_files) -> None:
    """Replacement for ``fastreid...bases.Dataset.check_before_run``."""
    from fastreid.data import build

    if isinstance(required_files, str):
        required_files = [required_files]
    for path in required_files:
        if not os.path.exists(path):
            raise DatasetNotFoundError(
                f"{type(self).__name__}: dataset folder {os.path.abspath(path)!r} not found. "
                f"FastReID looks for datasets under the FASTREID_DATASETS environment variable "
                f"(datasets root in use: {os.path.abspath(build._root)!r}, read when fastreid.data "
                f"is first imported). Put the dataset there or point FASTREID_DATASETS at the "
                f"folder that holds it."
            )


def read_image_naming_file(read_image):
    """Wrap FastReID's ``read_image`` so any decoding error names the file."""

    def wrapped(file_name, format=None):
        try:
            return read_image(file_name, format)
        except (OSError, ValueError, SyntaxError) as error:
            raise UnreadableImageError(
                f"Cannot read image {file_name!r}: {error}. The file is missing, truncated or not "
                f"an image; replace it or remove it from the dataset folder."
            ) from error

    setattr(wrapped, _MARK, True)
    wrapped.__wrapped__ = read_image
    return wrapped


def install_clear_data_errors() -> None:
    """Install both wrappers into FastReID (idempotent)."""
    from fastreid.data import common
    from fastreid.data.datasets import bases

    bases.Dataset.check_before_run = check_before_run
    if not getattr(common.read_image, _MARK, False):
        common.read_image = read_image_naming_file(common.read_image)
