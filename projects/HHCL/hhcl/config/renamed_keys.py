"""Config keys that moved: old names keep working, with a deprecation warning.

Config files and command-line overrides are merged through
:func:`merge_config_file` and :func:`merge_config_list`, which rewrite every
old key to its new name first; :func:`upgrade_config_dict` does the same for
the ``config.yaml`` of an earlier run.
"""

from __future__ import annotations

import warnings
from typing import Any

from fastreid.config import CfgNode

#: Old key prefix → new key prefix (a whole key, or a node and all its keys).
RENAMED_KEYS: dict[str, str] = {
    "HHCL.MEMORY": "MODEL.MEMORY",
    "HHCL.PSEUDO": "PSEUDO_LABELS",
    "HHCL.ITERS_PER_EPOCH": "SOLVER.ITERS_PER_EPOCH",
    "HHCL.SEED": "SEED",
}

#: Registered names that changed: (key, old value) → new value.
RENAMED_VALUES: dict[tuple[str, str], str] = {
    ("MODEL.HEADS.NAME", "HHCLEmbeddingHead"): "NormalizedEmbeddingHead",
}


def new_key(key: str) -> str:
    """The current name of ``key`` (``key`` itself when it was not renamed)."""
    for old, new in RENAMED_KEYS.items():
        if key == old or key.startswith(old + "."):
            return new + key[len(old):]
    return key


def _flatten(tree: dict, prefix: str = "") -> dict[str, Any]:
    flat = {}
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flatten(value, key + "."))
        else:
            flat[key] = value
    return flat


def _nest(flat: dict[str, Any]) -> dict:
    tree: dict = {}
    for key, value in flat.items():
        *nodes, leaf = key.split(".")
        branch = tree
        for node in nodes:
            branch = branch.setdefault(node, {})
        branch[leaf] = value
    return tree


def _upgrade_pairs(pairs: dict[str, Any], source: str) -> dict[str, Any]:
    upgraded, renamed = {}, []
    for key, value in pairs.items():
        current = new_key(key)
        if current != key:
            renamed.append(f"{key} → {current}")
        if isinstance(value, str) and (current, value) in RENAMED_VALUES:
            renamed.append(f"{current} {value} → {RENAMED_VALUES[current, value]}")
            value = RENAMED_VALUES[current, value]
        upgraded[current] = value
    if renamed:
        warnings.warn(f"{source} uses renamed config keys or values ({'; '.join(renamed)}); they still work, but "
                      f"use the new names (see hhcl.config.RENAMED_KEYS)", FutureWarning, stacklevel=3)
    return upgraded


def upgrade_config_dict(config: dict, source: str = "a config") -> dict:
    """A nested config dict with every renamed key and value under its new name."""
    return _nest(_upgrade_pairs(_flatten(config), source))


def merge_config_file(cfg: CfgNode, path: str) -> None:
    """``cfg.merge_from_file(path)`` (with ``_BASE_`` inheritance), accepting renamed keys."""
    loaded = CfgNode.load_yaml_with_base(path, allow_unsafe=True)
    cfg.merge_from_other_cfg(CfgNode(upgrade_config_dict(loaded, source=path)))


def merge_config_list(cfg: CfgNode, options: list[str]) -> None:
    """``cfg.merge_from_list(options)`` (KEY VALUE pairs), accepting renamed keys.

    A tool's ``--option`` among them (argparse reads everything from the
    first KEY on as overrides) is named with the fix, before yacs would call
    it a non-existent key."""
    flags = [item for index, item in enumerate(options)
             if item.startswith("--") or (index % 2 == 0 and item.startswith("-"))]   # a value may be -1
    if flags:
        raise ValueError(f"{flags[0]} comes after the config overrides ({options[0]} …), where every item is read "
                         f"as KEY VALUE: put the tool's options (--config-file, --output, …) before the first "
                         f"KEY, e.g. '... {flags[0]} VALUE {options[0]} VALUE'")
    if len(options) % 2:
        raise ValueError(f"Overrides must be KEY VALUE pairs, got an odd number of items: {options}")
    pairs = _upgrade_pairs(dict(zip(options[0::2], options[1::2])), source="the command-line overrides")
    cfg.merge_from_list([item for pair in pairs.items() for item in pair])
