"""Registries of the plugin's swappable parts, looked up by config value."""

from __future__ import annotations

from typing import Any, Callable

from fastreid.utils.registry import Registry as FastReidRegistry


class UnregisteredNameError(ValueError, KeyError):
    """A config value that names nothing in its registry."""

    __str__ = BaseException.__str__


class Registry(FastReidRegistry):
    """FastReID's registry whose entries can be registered under a name of
    their own (the config value, e.g. ``dbscan``), and whose lookup of an
    unknown name lists the registered ones and the config key that chose it."""

    def __init__(self, name: str, config_key: str):
        super().__init__(name)
        self.config_key = config_key

    def register(self, obj: Any = None, *, name: str | None = None) -> Any:
        """Register ``obj`` (or, as a decorator, the decorated object) under
        ``name``, by default its ``__name__``."""
        if obj is None:
            def deco(func_or_class: Any) -> Any:
                self._do_register(name or func_or_class.__name__, func_or_class)
                return func_or_class

            return deco
        self._do_register(name or obj.__name__, obj)
        return obj

    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._obj_map)

    def get(self, name: str) -> Callable:
        if name not in self._obj_map:
            raise UnregisteredNameError(f"Unknown {self.config_key} {name!r}; registered in {self._name}: "
                           f"{', '.join(self.names())}")
        return self._obj_map[name]
