"""``MEMORY_REGISTRY``: the cluster memories by ``MODEL.MEMORY.MODE``."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ...registry import Registry

MEMORY_REGISTRY = Registry("MEMORY", config_key="MODEL.MEMORY.MODE")
MEMORY_REGISTRY.__doc__ = """Builders ``(num_features, num_clusters, options: MemoryOptions) -> ClusterMemory``,
registered under the mode name that selects them."""


@dataclass(frozen=True)
class MemoryOptions:
    """The ``MODEL.MEMORY`` options; each memory takes those it uses."""

    num_instances: int = 16
    temp: float = 0.05
    momentum: float = 0.1
    mu: float = 0.5
    label_smooth: float = 0.0
    label_smooth_mode: str = "uniform"
    legacy_weighting: bool = False

    def common(self) -> dict:
        """The options every memory takes (τ, m, label smoothing ε and mode)."""
        options = asdict(self)
        return {key: options[key] for key in ("temp", "momentum", "label_smooth", "label_smooth_mode")}
