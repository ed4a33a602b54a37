"""The one mechanism by which :mod:`hhcl.compat` changes FastReID: a
declarative :class:`Patch`, applied idempotently (see docs/COMPAT.md)."""

from __future__ import annotations

import functools
import importlib
import types
from dataclasses import dataclass
from typing import Any, Callable

#: What a :class:`Patch` factory gets for a name that its owner lacks.
MISSING: Any = object()

_MARK = "__hhcl_compat__"


@dataclass(frozen=True)
class Patch:
    """Replace ``owner.name`` by ``make(original)``.

    ``owner`` is the dotted import path of a module, of a class in a module,
    or of a dict such as ``sys.modules`` or a FastReID registry's
    ``_obj_map`` (whose items are then patched); the
    name must be the owner's own, not inherited (else ``AttributeError``).
    ``aliases`` are modules that imported the name (``from owner import
    name``): they get the very same replacement object.

    With ``only_if_missing`` the name is provided only where the owner lacks
    it, and ``make`` gets :data:`MISSING`. Otherwise the replacement, a
    function or a class, keeps the original as ``__wrapped__`` and is marked
    as a patch, so that applying again leaves it alone. A function defined
    inside ``make`` also takes the original's name and docstring; a
    module-level function or class keeps its own (processes spawned by
    FastReID's ``launch`` import the worker, and so hhcl, by that name).
    """

    owner: str
    name: str
    make: Callable[[Any], Any]
    aliases: tuple[str, ...] = ()
    only_if_missing: bool = False

    def apply(self) -> None:
        """Patch the owner, then the aliases (idempotent)."""
        owner = resolve(self.owner)
        current = _namespace(owner).get(self.name, MISSING)
        if self.only_if_missing:
            if current is MISSING:
                _store(owner, self.name, self.make(MISSING))
        elif current is MISSING:
            raise AttributeError(f"{self.owner} has no attribute {self.name!r} of its own to patch")
        elif not is_patched(current):
            _store(owner, self.name, _wrap(self.make(current), current))
        replacement = _namespace(owner)[self.name]
        for alias in self.aliases:
            _store(resolve(alias), self.name, replacement)


def is_patched(value: Any) -> bool:
    """Whether ``value`` is a replacement made by a :class:`Patch`."""
    return bool(getattr(value, "__dict__", {}).get(_MARK, False))


def resolve(path: str) -> Any:
    """The object at the dotted ``path``: its longest importable prefix as a
    module, then attributes (``fastreid.data.data_utils.DataLoaderX``,
    ``sys.modules``, ``fastreid.modeling.backbones.BACKBONE_REGISTRY._obj_map``)."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        module_name = ".".join(parts[:end])
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            # Only a missing prefix of the path means "an attribute, not a module".
            if end == 1 or not (module_name + ".").startswith(f"{error.name}."):
                raise
            continue
        return functools.reduce(getattr, parts[end:], module)


def _wrap(replacement: Any, original: Any) -> Any:
    if isinstance(replacement, types.FunctionType) and "<locals>" in replacement.__qualname__:
        functools.update_wrapper(replacement, original)
    else:
        replacement.__wrapped__ = original
    setattr(replacement, _MARK, True)
    return replacement


def _namespace(owner: Any) -> Any:
    return owner if isinstance(owner, dict) else vars(owner)


def _store(owner: Any, name: str, value: Any) -> None:
    if isinstance(owner, dict):
        owner[name] = value
    else:
        setattr(owner, name, value)
