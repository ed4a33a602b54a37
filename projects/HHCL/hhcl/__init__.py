"""HHCL for FastReID: fully unsupervised person re-ID as a FastReID plugin.

``import hhcl`` patches FastReID 1.4.0 for today's Python/torch/numpy
(:mod:`hhcl.compat`) and registers the plugin's parts in FastReID's
registries (datasets, meta-architectures, heads, backbones) and in its own
(memories, labelers).
"""

from . import compat

compat.apply()

from . import data, labelers, modeling  # noqa: E402  (registration; needs the patches above)
from .config import add_hhcl_config  # noqa: E402

__all__ = ["add_hhcl_config", "compat", "data", "labelers", "modeling"]
__version__ = "0.1.0"
