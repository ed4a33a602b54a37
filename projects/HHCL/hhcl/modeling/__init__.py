"""Modeling: the cluster memories and their losses."""

from .memory import build_memory, build_memory_from_cfg

__all__ = ["build_memory", "build_memory_from_cfg"]
