"""The plugin's config keys (:func:`add_hhcl_config`) and the merging of
config files and overrides that still use renamed keys."""

from .defaults import add_hhcl_config
from .renamed_keys import RENAMED_KEYS, merge_config_file, merge_config_list, upgrade_config_dict

__all__ = ["RENAMED_KEYS", "add_hhcl_config", "merge_config_file", "merge_config_list", "upgrade_config_dict"]
