"""Names FastReID 1.4.0 imports that today's Python, numpy and torch removed
(see docs/COMPAT.md). Each is provided only where it is missing."""

from __future__ import annotations

import collections.abc
import types
from typing import Any


def mapping_alias(missing: Any) -> type:
    """``collections.Mapping`` (removed in Python 3.10): ``collections.abc.Mapping``."""
    return collections.abc.Mapping


def numpy_bool_alias(missing: Any) -> type:
    """``np.bool`` (absent from numpy 1.24-1.26, back in numpy 2): ``bool``."""
    return bool


def torch_six_stand_in(missing: Any) -> types.ModuleType:
    """``torch._six`` (removed in torch 2.0) with the one name FastReID uses."""
    six = types.ModuleType("torch._six", "FastReID 1.4.0 compatibility stand-in (hhcl.compat)")
    six.string_classes = (str, bytes)
    return six
