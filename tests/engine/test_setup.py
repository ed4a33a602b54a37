import argparse

import pytest
import torch

from hhcl.engine import setup_cfg

from ..helpers import REPO


def _args(*opts, config="configs/Baselines/synth_bagtricks_R18.yml"):
    return argparse.Namespace(config_file=str(REPO / config), opts=list(opts), eval_only=False)


def test_config_file_and_overrides_are_merged():
    cfg = setup_cfg(_args("SOLVER.MAX_EPOCH", "3"), for_run=False)
    assert cfg.SOLVER.MAX_EPOCH == 3
    assert cfg.MODEL.BACKBONE.DEPTH == "18x"          # from the config file
    assert cfg.MODEL.LOSSES.TRI.MARGIN == 0.3         # from its _BASE_
    assert cfg.DATASETS.SYNTH_TARGET.NUM_CAMERAS == 6  # plugin default
    assert cfg.is_frozen()


def test_config_key_typo_on_the_command_line_is_a_yacs_error():
    with pytest.raises(AssertionError, match="Non-existent key: SOLVER.MAX_EPOCHS"):
        setup_cfg(_args("SOLVER.MAX_EPOCHS", "3"), for_run=False)


def test_config_key_typo_in_a_file_is_a_yacs_error(tmp_path):
    config = tmp_path / "typo.yml"
    config.write_text(f"_BASE_: {REPO}/configs/Baselines/synth_bagtricks_R18.yml\nSOLVER:\n  MAX_EPOCHS: 3\n")
    with pytest.raises(KeyError, match="Non-existent config key: SOLVER.MAX_EPOCHS"):
        setup_cfg(_args(config=str(config)), for_run=False)


@pytest.mark.skipif(torch.cuda.is_available(), reason="the fallback is for machines without CUDA")
def test_cuda_config_falls_back_to_cpu_without_amp():
    cfg = setup_cfg(_args(config="configs/Baselines/market_bagtricks_R50.yml"), for_run=False)
    assert cfg.MODEL.DEVICE == "cpu" and cfg.SOLVER.AMP.ENABLED is False


def test_values_are_checked_for_the_processes_launched(monkeypatch, tmp_path):
    """The world size comes from torch.distributed when setup_cfg runs (in each launched process)."""
    from fastreid.utils import comm

    from hhcl.engine import ConfigValueError

    options = ("SOLVER.IMS_PER_BATCH", "12", "DATALOADER.NUM_INSTANCE", "4", "OUTPUT_DIR", str(tmp_path / "run"))
    assert setup_cfg(_args(*options), for_run=False).SOLVER.IMS_PER_BATCH == 12
    monkeypatch.setattr(comm, "get_world_size", lambda: 2)
    with pytest.raises(ConfigValueError, match=r"SOLVER.IMS_PER_BATCH is 12; .* must split into 2 processes"):
        setup_cfg(_args(*options), for_run=True)
    assert not (tmp_path / "run").exists()  # before default_setup
