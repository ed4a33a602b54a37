"""Clear errors for missing or empty dataset folders and unreadable images.

FastReID reports a missing dataset as ``RuntimeError: "datasets/" is not
found`` and an unreadable image with PIL's message, which for a truncated
file does not name the file. :mod:`hhcl.compat` makes FastReID raise
:class:`DatasetNotFoundError` and :class:`UnreadableImageError` instead (see
docs/COMPAT.md); :func:`hhcl.data.load_train_items` raises
:class:`EmptyDatasetError`. Each names what was looked for, where, and what
to change.
"""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset folder FastReID needs does not exist."""


class EmptyDatasetError(ValueError):
    """A dataset folder exists but holds no train image (FastReID's PK
    sampler would wait forever for an identity)."""


class UnreadableImageError(OSError):
    """An image file exists in a dataset but cannot be decoded."""
