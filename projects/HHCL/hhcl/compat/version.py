"""The FastReID release that the compatibility patches were written for,
checked against the installed one (see docs/COMPAT.md)."""

from __future__ import annotations

import warnings
from importlib import metadata

#: The FastReID release the patches were written for and tested with.
FASTREID_VERSION = "1.4.0"


class FastReIDVersionWarning(UserWarning):
    """The installed FastReID is not the release the patches were written for."""


def check_fastreid_version() -> str:
    """The installed FastReID version; a :class:`FastReIDVersionWarning` if it
    is not :data:`FASTREID_VERSION`, an ``ImportError`` saying how to install
    it if FastReID is missing."""
    try:
        installed = metadata.version("fastreid")
    except metadata.PackageNotFoundError:
        raise ImportError(
            f"hhcl needs FastReID {FASTREID_VERSION}, which is not installed. Install it with "
            f"`pip install --no-deps fastreid=={FASTREID_VERSION}` (its metadata pins torch 1.13.1, which "
            f"does not exist for Python 3.11; requirements.txt lists what it really needs)."
        ) from None
    if installed != FASTREID_VERSION:
        warnings.warn(
            f"FastReID {installed} is installed, but hhcl's compatibility patches were written for "
            f"FastReID {FASTREID_VERSION}: they may not fit this version (see docs/COMPAT.md). "
            f"Install `pip install --no-deps fastreid=={FASTREID_VERSION}` to be safe.",
            FastReIDVersionWarning, stacklevel=2)
    return installed
