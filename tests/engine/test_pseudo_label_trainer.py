"""PseudoLabelTrainer end to end on a tiny synthetic target set: clustering, memory
reset, loader rebuild, evaluation, checkpoint, resume — and no ground truth
reaching training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from fastreid.config import get_cfg
from fastreid.engine.train_loop import HookBase

from hhcl import add_hhcl_config
from hhcl.engine import PseudoLabelTrainer, baseline_trainer

from ..helpers import REPO, TINY_RUN



def make_cfg(output_dir, *options, config="configs/HHCL/synth.yml"):
    output_dir.mkdir(parents=True, exist_ok=True)  # tools/train_net.py's default_setup does this
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_file(str(REPO / config))
    cfg.merge_from_list(TINY_RUN + ["OUTPUT_DIR", str(output_dir)] + list(options))
    return cfg


class Recorder:
    """Losses per step and pseudo labels per update of a trainer."""

    def __init__(self, trainer):
        self.labels = []
        hook = trainer.pseudo_label_hook
        update = hook.update

        def recording_update(epoch):
            update(epoch)
            self.labels.append(hook.labels.copy())

        hook.update = recording_update


def train(cfg, resume=False):
    trainer = PseudoLabelTrainer(cfg)
    recorder = Recorder(trainer)
    trainer.resume_or_load(resume=resume)
    results = trainer.train()
    losses = {k: [v for v, _ in history.values()] for k, history in trainer.storage.histories().items()
              if k.startswith("loss_") or k == "total_loss"}  # FastReID logs a single loss as total_loss only
    return trainer, recorder, results, losses


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hhcl")
    from fastreid.data import build

    previous, build._root = build._root, str(root / "datasets")
    try:
        yield train(make_cfg(root / "out")), root
    finally:
        build._root = previous


def test_two_epochs_cluster_train_evaluate_and_checkpoint(run):
    (trainer, recorder, results, losses), root = run
    assert len(recorder.labels) == 2                        # clustered before each epoch
    assert all(labels.max() >= 1 for labels in recorder.labels)
    assert len(losses["loss_cluster"]) == 2 * 3             # ITERS_PER_EPOCH steps per epoch
    assert trainer.iters_per_epoch == 3 and trainer.max_iter == 6
    assert set(results) >= {"Rank-1", "mAP", "mINP"}
    memory = trainer.model.memory
    assert memory.num_clusters == recorder.labels[-1].max() + 1
    assert memory.instances.shape == (memory.num_clusters, 4, 256)
    saved = torch.load(root / "out" / "model_final.pth", map_location="cpu", weights_only=True)
    assert torch.equal(saved["model"]["memory.centroids"], memory.centroids)
    assert np.array_equal(saved["pseudo_labels"]["labels"].numpy(), recorder.labels[-1])
    history = trainer.storage.history("pseudo/num_clusters").values()
    assert [int(v) for v, _ in history] == [int(labels.max()) + 1 for labels in recorder.labels]
    records = [json.loads(line) for line in (root / "out" / "pseudo_labels.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [0, 1]
    assert [r["num_clusters"] for r in records] == [int(labels.max()) + 1 for labels in recorder.labels]
    assert all(0 <= r["pairwise_precision"] <= 1 and -1 <= r["ari"] <= 1 for r in records)


def test_every_evaluation_and_pseudo_label_update_reaches_metrics_json(run):
    """FastReID's writer used to drop both: evaluations end an epoch on a step
    it had already written, pseudo labels are computed before the next one."""
    _, root = run
    lines = [json.loads(line) for line in (root / "out" / "metrics.json").read_text().splitlines()]
    evaluated = [line["iteration"] for line in lines if "mAP" in line]
    labelled = [line["iteration"] for line in lines if "pseudo/num_clusters" in line]
    assert evaluated == [2, 5]                  # the last step of each 3-step epoch (TEST.EVAL_PERIOD 1)
    assert labelled == [0, 3]                   # the first step of each epoch


def test_the_best_map_evaluation_is_kept_and_saved(run):
    """The single test set's results (FastReID flattens them) name the
    config's test set; the best is the strictly greatest mAP, saved as model_best."""
    (trainer, _, _, _), root = run
    lines = [json.loads(line) for line in (root / "out" / "metrics.json").read_text().splitlines()]
    maps = [line["mAP"] for line in lines if "mAP" in line]
    best = trainer.best_evaluation
    assert set(best.results) == {"SyntheticTarget"}
    assert best.results["SyntheticTarget"]["mAP"] == pytest.approx(max(maps))
    assert best.epoch == 1 + maps.index(max(maps))
    saved = torch.load(root / "out" / "model_best.pth", map_location="cpu", weights_only=True)
    assert saved["epoch"] == best.epoch - 1 and saved["best_evaluation"]["epoch"] == best.epoch


def test_the_final_off_period_evaluation_reaches_metrics_json(run, tmp_path):
    """TEST.EVAL_PERIOD 3 > 2 epochs: FastReID evaluates once after training."""
    _, _, results, _ = train(make_cfg(tmp_path / "final", "TEST.EVAL_PERIOD", "3"))
    lines = [json.loads(line) for line in (tmp_path / "final" / "metrics.json").read_text().splitlines()]
    evaluations = [(line["iteration"], line["mAP"]) for line in lines if "mAP" in line]
    assert evaluations == [(6, pytest.approx(results["mAP"]))]


def test_eval_only_model_is_the_model_training_starts_from(run, tmp_path):
    """With SEED, ``build_model`` (what ``--eval-only`` uses) gives the
    trainer's initial weights: the demo's from-scratch starting model."""
    cfg = make_cfg(tmp_path)
    # Built first: a constructed trainer's loader thread draws from the global RNG.
    rebuilt = PseudoLabelTrainer.build_model(cfg).state_dict()
    trainer = PseudoLabelTrainer(cfg)
    trainer.stop_data_loader()
    initial = trainer.model.state_dict()
    assert [k for k in initial if not torch.equal(initial[k], rebuilt[k])] == []
    other_seed = PseudoLabelTrainer.build_model(make_cfg(tmp_path, "SEED", "4")).state_dict()
    assert not all(torch.equal(initial[k], other_seed[k]) for k in initial)


def test_ground_truth_never_reaches_training(run, monkeypatch, tmp_path):
    """Permuting the train set's true identities changes nothing: same losses,
    same pseudo labels, same weights."""
    (trainer, recorder, _, losses), root = run
    permute_train_identities(monkeypatch)
    monkeypatch.setattr("fastreid.data.build._root", str(root / "datasets"))
    other, other_recorder, _, other_losses = train(make_cfg(tmp_path / "permuted"))
    assert_same_trajectory((trainer, recorder, losses), (other, other_recorder, other_losses))


def assert_same_trajectory(run_a, run_b):
    """Two runs, one on permuted true identities, trained identically."""
    (trainer, recorder, losses), (other, other_recorder, other_losses) = run_a, run_b
    assert other.pseudo_label_hook.log.true_ids.tolist() != trainer.pseudo_label_hook.log.true_ids.tolist()
    assert other_losses == losses
    for mine, theirs in zip(recorder.labels, other_recorder.labels, strict=True):
        assert np.array_equal(mine, theirs)
    for name, value in trainer.model.state_dict().items():
        assert torch.equal(other.model.state_dict()[name], value), name


def permute_train_identities(monkeypatch):
    """Make the trainer see the train set with its true identities permuted."""
    load = baseline_trainer.load_train_items

    def permuted_identities(cfg):
        items = load(cfg)
        ids = sorted({item[1] for item in items})
        shuffled = dict(zip(ids, np.random.default_rng(0).permutation(ids)))
        return [(path, shuffled[pid], camera) for path, pid, camera in items]

    monkeypatch.setattr(baseline_trainer, "load_train_items", permuted_identities)


def test_hct_merges_a_fixed_share_per_stage_and_never_sees_ground_truth(run, monkeypatch, tmp_path):
    """HCT: batch-hard triplet loss on agglomerative pseudo labels, int(0.07 N)
    merges per stage; permuting the true identities changes nothing."""
    options = ["PSEUDO_LABELS.EVERY_N_EPOCHS", "1"]
    trainer, recorder, results, losses = train(make_cfg(tmp_path / "hct", *options, config="configs/HCT/synth.yml"))
    assert set(losses) == {"total_loss"} and len(losses["total_loss"]) == 2 * 3
    assert not hasattr(trainer.model, "memory") and set(results) >= {"mAP", "Rank-1"}
    images, per_stage = len(trainer.train_items), int(0.07 * len(trainer.train_items))
    assert [labels.max() + 1 for labels in recorder.labels] == [images - per_stage, images - 2 * per_stage]
    assert all((labels >= 0).all() for labels in recorder.labels)     # no outliers in hierarchical clustering

    permute_train_identities(monkeypatch)
    other, other_recorder, _, other_losses = train(make_cfg(tmp_path / "hct_permuted", *options,
                                                            config="configs/HCT/synth.yml"))
    assert_same_trajectory((trainer, recorder, losses), (other, other_recorder, other_losses))


def test_resume_keeps_pseudo_labels_and_memory(monkeypatch, tmp_path):
    monkeypatch.setattr("fastreid.data.build._root", str(tmp_path / "datasets"))
    first, first_recorder, _, _ = train(make_cfg(tmp_path / "out", "SOLVER.MAX_EPOCH", "1",
                                                 "PSEUDO_LABELS.EVERY_N_EPOCHS", "2"))
    resumed = PseudoLabelTrainer(make_cfg(tmp_path / "out", "SOLVER.MAX_EPOCH", "2", "PSEUDO_LABELS.EVERY_N_EPOCHS", "2"))
    fresh_size = resumed.model.memory.num_clusters
    resumed.resume_or_load(resume=True)
    assert resumed.start_epoch == 1
    memory = resumed.model.memory
    assert memory.num_clusters == first.model.memory.num_clusters != fresh_size
    assert torch.equal(memory.instances, first.model.memory.instances)
    assert np.array_equal(resumed.pseudo_label_hook.labels, first_recorder.labels[-1])
    resumed.train()  # epoch 1 is not a clustering epoch: trains on the restored labels
    assert resumed.pseudo_label_hook.labelled_epoch == 0


def test_nan_loss_stops_with_step_losses_and_last_good_checkpoint(run, tmp_path):
    trainer = PseudoLabelTrainer(make_cfg(tmp_path / "nan"))
    model_forward = trainer.model.forward

    def diverging_forward(batch):
        losses = model_forward(batch)
        return {k: v * float("nan") for k, v in losses.items()} if trainer.iter == 4 else losses

    trainer.model.forward = diverging_forward
    trainer.resume_or_load(resume=False)
    with pytest.raises(FloatingPointError) as raised:
        trainer.train()
    message = str(raised.value)
    assert "iteration=4" in message and "loss_cluster" in message and "nan" in message
    assert f"last good checkpoint is {tmp_path / 'nan' / 'model_0000.pth'}" in message and "--resume" in message
    saved = torch.load(tmp_path / "nan" / "model_0000.pth", map_location="cpu", weights_only=True)
    assert all(torch.isfinite(v).all() for v in saved["model"].values() if v.is_floating_point())


@pytest.mark.parametrize("first, later", [(0, None), (1, None), (None, 0), (None, 1)])
def test_zero_or_one_cluster(run, tmp_path, first, later):
    """First update: stop, saying what to change. Later: keep the previous
    pseudo labels and memory, and go on."""
    trainer = PseudoLabelTrainer(make_cfg(tmp_path / "clusters"))
    hook = trainer.pseudo_label_hook
    real_labeler = hook.labeler

    def degenerate(num_clusters, size):
        return np.full(size, -1) if num_clusters == 0 else np.r_[np.zeros(size - 2, int), -1, -1]

    class Labeler:
        advice = real_labeler.advice

        def __call__(self, features, previous):
            wanted = first if trainer.epoch == 0 else later
            return real_labeler(features, previous) if wanted is None else degenerate(wanted, len(features))

    hook.labeler = Labeler()
    trainer.resume_or_load(resume=False)
    if first is not None:
        with pytest.raises(RuntimeError, match="Epoch 0: the clustering found (no cluster|a single cluster).*"
                                               "nothing to contrast. (Raise|Lower) PSEUDO_LABELS.EPS"):
            trainer.train()
        return
    trainer.train()
    assert hook.labelled_epoch == 0 and hook.labels.max() >= 1
    assert trainer.model.memory.num_clusters == hook.labels.max() + 1


class CrashAt(HookBase):
    """Raises in the middle of a step, as a killed process would stop."""

    def __init__(self, iteration: int):
        self.iteration = iteration

    def after_step(self):
        if self.trainer.iter == self.iteration:
            raise RuntimeError("simulated crash")


def test_resume_after_a_crash_matches_an_uninterrupted_run(run, tmp_path):
    """Killed in the middle of epoch 2 (checkpoints at every epoch end), then
    --resume: the same pseudo labels, losses, memory, weights and final
    metrics as the run that was never stopped — exactly, on CPU."""
    options = ["SOLVER.MAX_EPOCH", "3"]
    full, full_recorder, full_results, full_losses = train(make_cfg(tmp_path / "full", *options))

    crashed = PseudoLabelTrainer(make_cfg(tmp_path / "crashed", *options))
    crashed.register_hooks([CrashAt(iteration=7)])
    crashed.resume_or_load(resume=False)
    with pytest.raises(RuntimeError, match="simulated crash"):
        crashed.train()
    assert (tmp_path / "crashed" / "last_checkpoint").read_text() == "model_0001.pth"

    resumed, recorder, results, losses = train(make_cfg(tmp_path / "crashed", *options), resume=True)
    assert resumed.start_epoch == 2
    assert len(recorder.labels) == 1 and np.array_equal(recorder.labels[0], full_recorder.labels[-1])
    assert {k: v[-3:] for k, v in full_losses.items()} == losses     # the 3 steps of epoch 2
    full_state, resumed_state = full.model.state_dict(), resumed.model.state_dict()
    assert [k for k in full_state if not torch.equal(full_state[k], resumed_state[k])] == []
    assert dict(results) == dict(full_results)


def _train_on_one_rank(datasets: str, output_dir: str, states: str) -> None:
    """One process of a `launch`ed run: train, then save what must agree."""
    from fastreid.data import build
    from fastreid.utils import comm

    build._root = datasets
    trainer = PseudoLabelTrainer(make_cfg(Path(output_dir), "SOLVER.IMS_PER_BATCH", "16", "DATALOADER.NUM_WORKERS", "0"))
    trainer.resume_or_load(resume=False)
    trainer.train()
    model = trainer.model.module if hasattr(trainer.model, "module") else trainer.model
    torch.save({"labels": torch.as_tensor(trainer.pseudo_label_hook.labels), "model": model.state_dict()},
               f"{states}/rank{comm.get_rank()}.pt")


def test_two_processes_agree_on_pseudo_labels_memory_and_weights(run, tmp_path):
    """`--num-gpus 2` on CPU (gloo): rank 0 clusters the gathered features of
    both ranks' shards, both train on its labels with their slice of each
    batch, and end with identical pseudo labels, memories and weights."""
    from fastreid.engine import launch

    _, root = run
    launch(_train_on_one_rank, 2, dist_url="auto", args=(str(root / "datasets"), str(tmp_path / "out"), str(tmp_path)))
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    assert torch.equal(ranks[0]["labels"], ranks[1]["labels"]) and int(ranks[0]["labels"].max()) >= 1
    differing = [k for k, v in ranks[0]["model"].items() if not torch.equal(v, ranks[1]["model"][k])]
    # Only BatchNorm running statistics may differ: each rank's come from its
    # slice (DDP re-broadcasts rank 0's at every forward; rank 0's are saved).
    assert differing and all(k.endswith(("running_mean", "running_var")) for k in differing), differing
    assert any(k.startswith("memory.") for k in ranks[0]["model"])
    assert (tmp_path / "out" / "model_final.pth").is_file()


def test_resume_with_a_memory_of_another_mode_clusters_again(monkeypatch, tmp_path):
    """A Cluster Contrast (mean) checkpoint resumed as HHCL (hybrid) lacks the
    instance slots: the memory is rebuilt by clustering at the resumed epoch,
    even though that epoch is not a clustering epoch."""
    monkeypatch.setattr("fastreid.data.build._root", str(tmp_path / "datasets"))
    options = ["PSEUDO_LABELS.EVERY_N_EPOCHS", "2"]
    train(make_cfg(tmp_path / "out", "SOLVER.MAX_EPOCH", "1", "MODEL.MEMORY.MODE", "mean", *options))
    resumed, recorder, results, _ = train(make_cfg(tmp_path / "out", "SOLVER.MAX_EPOCH", "2", *options), resume=True)
    assert resumed.start_epoch == 1 and len(recorder.labels) == 1
    assert resumed.pseudo_label_hook.labelled_epoch == 1
    memory = resumed.model.memory
    assert bool(memory.initialized) and memory.instances.shape[0] == memory.num_clusters
    assert set(results) >= {"mAP"}
