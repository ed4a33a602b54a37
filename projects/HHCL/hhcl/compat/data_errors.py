"""Errors that say what to change when a dataset folder is missing or an
image cannot be read, instead of FastReID's (see docs/COMPAT.md). The
exception classes live in :mod:`hhcl.data.errors` and are imported inside
the replacements: ``hhcl.data`` needs FastReID, which needs the import-time
patches first."""

from __future__ import annotations

import os
from typing import Callable


def check_before_run_naming_folder(original: Callable) -> Callable:
    """``Dataset.check_before_run`` raising
    :class:`~hhcl.data.DatasetNotFoundError` that names the folder, the
    datasets root and ``FASTREID_DATASETS`` (FastReID's: ``RuntimeError:
    "<path>" is not found``)."""

    def check_before_run(self, required_files):
        from fastreid.data import build

        from ..data.errors import DatasetNotFoundError

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

    return check_before_run


def read_image_naming_file(original: Callable) -> Callable:
    """``read_image`` raising :class:`~hhcl.data.UnreadableImageError` that
    names the file (PIL's message does not, for a truncated file)."""

    def read_image(file_name, format=None):
        try:
            return original(file_name, format)
        except (OSError, ValueError, SyntaxError) as error:
            from ..data.errors import UnreadableImageError

            raise UnreadableImageError(
                f"Cannot read image {file_name!r}: {error}. The file is missing, truncated or not "
                f"an image; replace it or remove it from the dataset folder."
            ) from error

    return read_image
