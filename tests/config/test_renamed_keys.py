"""Renamed config keys keep working, with a deprecation warning."""

from __future__ import annotations

import pytest
from fastreid.config import get_cfg

from hhcl import add_hhcl_config
from hhcl.config import RENAMED_KEYS, merge_config_file, merge_config_list, upgrade_config_dict

from ..helpers import REPO


def fresh_cfg():
    cfg = get_cfg()
    add_hhcl_config(cfg)
    return cfg


def test_every_renamed_key_exists_under_its_new_name():
    cfg = fresh_cfg()
    for new in RENAMED_KEYS.values():
        node = cfg
        for name in new.split("."):
            assert name in node, new
            node = node[name]


def test_old_keys_in_a_file_with_a_base(tmp_path):
    old = tmp_path / "old.yml"
    old.write_text(f"_BASE_: {REPO / 'configs/HHCL/synth.yml'}\n"
                   "HHCL:\n  SEED: 11\n  ITERS_PER_EPOCH: 7\n  MEMORY:\n    MODE: hard_mean\n    MU: 0.3\n"
                   "  PSEUDO:\n    EPS: 0.55\n    METHOD: dbscan\n"
                   "MODEL:\n  HEADS:\n    NAME: HHCLEmbeddingHead\n")
    cfg = fresh_cfg()
    with pytest.warns(FutureWarning) as warned:
        merge_config_file(cfg, str(old))
    message = str(warned[0].message)
    assert str(old) in message and "HHCL.MEMORY.MODE → MODEL.MEMORY.MODE" in message
    assert "MODEL.HEADS.NAME HHCLEmbeddingHead → NormalizedEmbeddingHead" in message
    assert (cfg.SEED, cfg.SOLVER.ITERS_PER_EPOCH, cfg.MODEL.MEMORY.MODE, cfg.MODEL.MEMORY.MU) == \
        (11, 7, "hard_mean", 0.3)
    assert cfg.PSEUDO_LABELS.EPS == 0.55 and cfg.MODEL.HEADS.NAME == "NormalizedEmbeddingHead"
    assert cfg.PSEUDO_LABELS.K1 == 12  # from the base file
    assert "HHCL" not in cfg


def test_a_file_with_current_keys_merges_silently(recwarn):
    cfg = fresh_cfg()
    merge_config_file(cfg, str(REPO / "configs/HHCL/synth.yml"))
    assert cfg.PSEUDO_LABELS.EPS == 0.45
    assert not [w for w in recwarn if issubclass(w.category, FutureWarning)]


def test_old_keys_on_the_command_line():
    cfg = fresh_cfg()
    with pytest.warns(FutureWarning, match="command-line overrides.*HHCL.PSEUDO.K1 → PSEUDO_LABELS.K1"):
        merge_config_list(cfg, ["HHCL.PSEUDO.K1", "5", "SOLVER.MAX_EPOCH", "3", "HHCL.SEED", "2"])
    assert (cfg.PSEUDO_LABELS.K1, cfg.SOLVER.MAX_EPOCH, cfg.SEED) == (5, 3, 2)
    with pytest.raises(ValueError, match="KEY VALUE pairs"):
        merge_config_list(cfg, ["SEED"])


def test_a_tool_option_after_the_overrides_is_named_with_the_fix():
    with pytest.raises(ValueError, match="--output comes after the config overrides .*put the tool's options"):
        merge_config_list(fresh_cfg(), ["MODEL.WEIGHTS", "w.pth", "--output", "x.png"])
    with pytest.raises(ValueError, match="--top-k comes after"):
        merge_config_list(fresh_cfg(), ["MODEL.WEIGHTS", "--top-k", "5"])      # odd: in a value's place
    cfg = fresh_cfg()
    merge_config_list(cfg, ["MODEL.HEADS.NUM_CLASSES", "-1"])                   # a negative value is a value
    assert cfg.MODEL.HEADS.NUM_CLASSES == -1


def test_upgrade_a_dumped_config():
    old = {"HHCL": {"MEMORY": {"MODE": "mean"}, "PSEUDO": {"METHOD": "agglomerative"}},
           "MODEL": {"META_ARCHITECTURE": "HHCL"}}
    with pytest.warns(FutureWarning):
        assert upgrade_config_dict(old) == {"MODEL": {"MEMORY": {"MODE": "mean"}, "META_ARCHITECTURE": "HHCL"},
                                            "PSEUDO_LABELS": {"METHOD": "agglomerative"}}
