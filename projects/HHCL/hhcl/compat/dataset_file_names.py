"""Identities and cameras read from image file names, not from whole paths
(see docs/COMPAT.md, rows 22-25).

FastReID's Market1501, DukeMTMC, VeRi and cuhkSYSU loaders search their
file-name pattern (``([-\\d]+)_c(\\d)`` and the like) in the whole path that
``glob.glob`` returns, so a dataset root such as ``/data/exp_2_c3`` gives
every image identity 2 and camera 3, without an error. The replacement runs
FastReID's own ``process_dir`` (its pattern, junk identities, assertions,
camera numbering and dataset-name prefixes) on the file names of the folder
and joins each name to the folder again afterwards."""

from __future__ import annotations

import glob
import os
import types
from typing import Callable


class _FileNameGlob:
    """Stands in for the ``glob`` module inside a loader's ``process_dir``:
    the same files, in the same order, by file name only."""

    @staticmethod
    def glob(pattern: str) -> list[str]:
        return [os.path.basename(path) for path in glob.glob(pattern)]


def process_dir_reading_file_names(original: Callable) -> Callable:
    """``process_dir`` of a FastReID loader that lists ``dir_path`` with
    ``glob.glob`` and returns ``(img_path, pid, camid)`` tuples, with its
    pattern searched in each file name instead of the whole path."""

    def process_dir(self, dir_path, *args, **kwargs):
        on_file_names = types.FunctionType(original.__code__, {**original.__globals__, "glob": _FileNameGlob},
                                           original.__name__, original.__defaults__, original.__closure__)
        return [(os.path.join(dir_path, file_name), *labels)
                for file_name, *labels in on_file_names(self, dir_path, *args, **kwargs)]

    return process_dir
