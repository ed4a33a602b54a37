"""FastReID 1.4.0 on today's Python, torch and numpy, without editing its
installed files (see docs/COMPAT.md).

:data:`ROWS` lists every known incompatibility; each row is fixed by
:class:`Patch` objects, by an override in one of the plugin's subclasses,
or is recorded only. :func:`apply`, called by ``import hhcl``, checks the
installed FastReID version and applies every row's patches in row order
(rows 1 and 2 make FastReID importable, so the others come after them).
"""

from __future__ import annotations

from .data import stop_background_loaders
from .distributed import end_process_groups
from .patching import MISSING, Patch, is_patched
from .table import ROWS, Row
from .version import FASTREID_VERSION, FastReIDVersionWarning, check_fastreid_version

__all__ = ["FASTREID_VERSION", "MISSING", "ROWS", "FastReIDVersionWarning", "Patch", "Row", "apply",
           "check_fastreid_version", "end_process_groups", "is_patched", "stop_background_loaders"]


def apply() -> None:
    """Check the FastReID version, then apply every row's patches (idempotent)."""
    check_fastreid_version()
    for row in ROWS:
        for patch in row.patches:
            patch.apply()
