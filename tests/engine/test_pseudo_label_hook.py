"""PseudoLabelHook on a toy trainer: when it relabels, what it tells the model
and the trainer, what it checkpoints, and its policy for too few clusters."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from fastreid.utils.events import EventStorage

from hhcl.engine import PseudoLabelHook, PseudoLabelLog

TRUE_IDS = np.array([0, 0, 1, 1, 2, 2])
FEATURES = torch.nn.functional.normalize(torch.arange(12, dtype=torch.float32).reshape(6, 2) + 1, dim=1)


class ToyModel(torch.nn.Module):
    """Records what it is told about pseudo labels."""

    def __init__(self, has_state: bool = True):
        super().__init__()
        self.told: list[tuple] = []
        self.has_state = has_state

    def set_pseudo_labels(self, features, labels, generator):
        self.told.append((features, labels.copy(), generator.initial_seed()))

    def has_pseudo_label_state(self):
        return self.has_state


class ToyTrainer:
    """What the hook uses of a trainer: model, epochs, storage and the loader
    swap (each loader recorded as what ``build`` returned, or with the number
    of batches skipped when there are any)."""

    iters_per_epoch = 5

    def __init__(self, model: torch.nn.Module, start_epoch: int = 0, start_iter: int | None = None):
        self.model = model
        self.start_epoch = self.epoch = start_epoch
        self.start_iter = start_epoch * self.iters_per_epoch if start_iter is None else start_iter
        self.storage = EventStorage(0)
        self.loaders: list = []
        self.stops = 0

    def reset_data_loader(self, build, skip_batches=0):
        self.stops += 1
        self.loaders.append((*build(), "skip", skip_batches) if skip_batches else build())

    def stop_data_loader(self):
        self.stops += 1


class ScriptedLabeler:
    """Returns the labelings of a script, one per call; records ``previous``."""

    def __init__(self, *labelings):
        self.labelings = list(labelings)
        self.previous: list = []

    def __call__(self, features, previous):
        assert torch.equal(features, FEATURES)
        self.previous.append(None if previous is None else previous.copy())
        return np.array(self.labelings.pop(0))

    def advice(self, num_clusters):
        return f"ADVICE({num_clusters})"


def make_hook(labeler, tmp_path, every_n_epochs=1, seed=7, model=None, start_epoch=0, start_iter=None):
    extracted = []

    def extract(model_):
        extracted.append(model_)
        return FEATURES

    hook = PseudoLabelHook(extract_features=extract, labeler=labeler,
                           build_loader=lambda labels, seed_: ("loader", labels.tolist(), seed_),
                           log=PseudoLabelLog(TRUE_IDS, str(tmp_path)), every_n_epochs=every_n_epochs, seed=seed)
    hook.trainer = ToyTrainer(model or ToyModel(), start_epoch, start_iter)
    return hook, extracted


def run_epochs(hook, epochs):
    hook.before_train()
    for epoch in range(hook.trainer.start_epoch, epochs):
        hook.trainer.epoch = epoch
        hook.before_epoch()
    hook.after_train()


def test_relabels_before_every_nth_epoch_and_tells_model_and_trainer(tmp_path):
    labelings = [[0, 0, 1, 1, -1, 2], [0, 0, 1, 1, 2, 2], [1, 1, 0, 0, 2, 2]]
    labeler = ScriptedLabeler(*labelings)
    hook, extracted = make_hook(labeler, tmp_path, every_n_epochs=2)
    run_epochs(hook, 6)
    assert len(extracted) == 3 and all(model is hook.trainer.model for model in extracted)
    # The labeler sees its previous labels (agglomerative merges them).
    assert labeler.previous[0] is None and labeler.previous[1].tolist() == labelings[0]
    # The model is told each labeling, with a generator seeded by seed + epoch.
    assert [(told[1].tolist(), told[2]) for told in hook.trainer.model.told] == \
        [(labelings[0], 7), (labelings[1], 9), (labelings[2], 11)]
    # The trainer gets a loader built from the labels and seed + epoch; the loader is stopped after training.
    assert hook.trainer.loaders == [("loader", labelings[0], 7), ("loader", labelings[1], 9),
                                    ("loader", labelings[2], 11)]
    assert hook.trainer.stops == 4
    assert hook.labels.tolist() == labelings[2] and hook.labelled_epoch == 4


def test_log_records_quality_in_storage_and_run_folder(tmp_path):
    hook, _ = make_hook(ScriptedLabeler([0, 0, 1, 1, 2, -1]), tmp_path)
    run_epochs(hook, 1)
    records = [json.loads(line) for line in (tmp_path / "pseudo_labels.jsonl").read_text().splitlines()]
    assert len(records) == 1 and records[0]["epoch"] == 0
    assert records[0]["num_clusters"] == 3 and records[0]["num_outliers"] == 1
    assert records[0]["pairwise_precision"] == 1.0
    assert hook.trainer.storage.latest()["pseudo/num_clusters"][0] == 3


@pytest.mark.parametrize("degenerate", [[-1] * 6, [0, 0, 0, -1, -1, -1]])
def test_too_few_clusters_at_the_first_update_stops_with_the_labelers_advice(tmp_path, degenerate):
    hook, _ = make_hook(ScriptedLabeler(degenerate), tmp_path)
    num_clusters = max(degenerate) + 1
    with pytest.raises(RuntimeError, match=rf"Epoch 0: the clustering found .* among 6 images, so there is "
                                           rf"nothing to contrast. ADVICE\({num_clusters}\)"):
        run_epochs(hook, 1)
    assert hook.trainer.model.told == [] and hook.trainer.loaders == []


def test_too_few_clusters_later_keeps_the_previous_labels(tmp_path, caplog):
    first = [0, 0, 1, 1, 2, 2]
    hook, _ = make_hook(ScriptedLabeler(first, [-1] * 6), tmp_path)
    run_epochs(hook, 2)
    assert hook.labels.tolist() == first and hook.labelled_epoch == 0
    assert len(hook.trainer.model.told) == 1 and len(hook.trainer.loaders) == 1
    assert "keeping the pseudo labels and model state of epoch 0. ADVICE(0)" in caplog.text


def test_state_round_trip(tmp_path):
    hook, _ = make_hook(ScriptedLabeler([0, 0, 1, 1, -1, 2]), tmp_path)
    empty = hook.state_dict()
    assert empty["labels"].numel() == 0 and empty["epoch"] == -1
    run_epochs(hook, 1)
    restored, _ = make_hook(ScriptedLabeler(), tmp_path)
    restored.load_state_dict(hook.state_dict())
    assert restored.labels.tolist() == [0, 0, 1, 1, -1, 2] and restored.labelled_epoch == 0
    restored.load_state_dict(empty)
    assert restored.labels is None and restored.labelled_epoch == -1


@pytest.mark.parametrize("has_state", [True, False])
def test_resume_between_updates_reuses_labels_unless_the_model_lost_its_state(tmp_path, has_state):
    labels = [0, 0, 1, 1, 2, 2]
    relabelled = [1, 1, 0, 0, 2, 2]
    hook, extracted = make_hook(ScriptedLabeler(relabelled), tmp_path, every_n_epochs=3,
                                model=ToyModel(has_state), start_epoch=1)
    hook.load_state_dict({"labels": torch.tensor(labels), "epoch": 0})
    run_epochs(hook, 3)
    if has_state:  # the checkpointed labels and model go on; no relabelling before epoch 3
        assert extracted == [] and hook.trainer.model.told == []
        # the loader of epoch 0 (seed 7 + 0), past the 5 batches of epoch 0 drawn from it
        assert hook.trainer.loaders == [("loader", labels, 7, "skip", 5)]
    else:  # relabel at once, at the resumed epoch
        assert len(extracted) == 1 and hook.labelled_epoch == 1
        assert hook.trainer.loaders == [("loader", relabelled, 8)]


def test_resume_on_an_update_epoch_leaves_it_to_before_epoch(tmp_path):
    hook, extracted = make_hook(ScriptedLabeler([1, 1, 0, 0, 2, 2]), tmp_path, every_n_epochs=2, start_epoch=2)
    hook.load_state_dict({"labels": torch.tensor([0, 0, 1, 1, 2, 2]), "epoch": 0})
    hook.before_train()
    assert extracted == [] and hook.trainer.loaders == []
    hook.before_epoch()
    assert len(extracted) == 1 and hook.labelled_epoch == 2


@pytest.mark.parametrize("every_n_epochs", [1, 2])
def test_resume_mid_epoch_goes_on_with_the_epochs_labels_and_loader_position(tmp_path, every_n_epochs):
    """Stopped at step 3 of epoch 2 (labels made before epoch 2): no
    relabelling, the loader of epoch 2 past its 3 drawn batches."""
    labels = [0, 0, 1, 1, 2, 2]
    hook, extracted = make_hook(ScriptedLabeler(), tmp_path, every_n_epochs=every_n_epochs, start_epoch=2,
                                start_iter=2 * ToyTrainer.iters_per_epoch + 3)
    hook.load_state_dict({"labels": torch.tensor(labels), "epoch": 2})
    hook.before_train()
    hook.before_epoch()
    assert extracted == [] and hook.trainer.model.told == []
    assert hook.trainer.loaders == [("loader", labels, 9, "skip", 3)]
