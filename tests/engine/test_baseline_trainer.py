"""BaselineTrainer (stock FastReID configs): SEED makes a run repeatable."""

from __future__ import annotations

import torch
from fastreid.config import get_cfg
from fastreid.utils.events import EventStorage

from hhcl import add_hhcl_config
from hhcl.engine import BaselineTrainer

from ..helpers import REPO


def make_cfg(output_dir, *options):
    output_dir.mkdir(parents=True, exist_ok=True)
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_file(str(REPO / "configs/Baselines/synth_bagtricks_SmallCNN.yml"))
    cfg.merge_from_list(["SOLVER.IMS_PER_BATCH", "16", "SOLVER.WARMUP_ITERS", "2", "TEST.IMS_PER_BATCH", "32",
                         "OUTPUT_DIR", str(output_dir), *options])
    return cfg


def weights_after_steps(cfg, steps: int = 3) -> dict[str, torch.Tensor]:
    """The model's weights after ``steps`` training steps of a fresh trainer."""
    trainer = BaselineTrainer(cfg)
    try:
        with EventStorage(0) as trainer.storage:
            for trainer.iter in range(steps):
                trainer.run_step()
    finally:
        trainer.stop_data_loader()
    return {k: v.clone() for k, v in trainer.model.state_dict().items()}


def changed(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> list[str]:
    return [k for k in a if not torch.equal(a[k], b[k])]


def test_one_seed_trains_the_same_model_twice_and_another_seed_another(tiny_synthetic, tmp_path):
    """Initialisation, sampler and augmentation all follow SEED (FastReID's own
    setup draws a fresh random seed per run)."""
    first = weights_after_steps(make_cfg(tmp_path / "a", "SEED", "0"))
    second = weights_after_steps(make_cfg(tmp_path / "b", "SEED", "0"))
    other = weights_after_steps(make_cfg(tmp_path / "c", "SEED", "1"))
    assert changed(first, second) == []
    assert "heads.weight" in changed(first, other)


def test_eval_only_model_is_the_model_training_starts_from(tiny_synthetic, tmp_path):
    trainer = BaselineTrainer(make_cfg(tmp_path, "SEED", "2"))
    trainer.stop_data_loader()  # its thread draws augmentations from the global RNGs
    # the trainer's cfg holds the number of train identities (the classifier's size)
    rebuilt = BaselineTrainer.build_model(trainer.cfg).state_dict()
    assert changed(trainer.model.state_dict(), rebuilt) == []


def test_seed_minus_one_draws_a_seed_and_keeps_it(tiny_synthetic, tmp_path):
    trainer = BaselineTrainer(make_cfg(tmp_path, "SEED", "-1"))
    trainer.stop_data_loader()
    assert 0 <= trainer.seed < 2**31
