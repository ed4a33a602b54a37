"""Checkpoints are written atomically: a failed or interrupted save leaves the
previous checkpoint and the last_checkpoint tag valid, and no partial file."""

import errno

import pytest
import torch

from hhcl.engine import AtomicCheckpointer
from hhcl.engine import checkpoint as checkpoint_module


def failing_save(exception):
    def save(data, file):
        file.write(b"half a checkpoint")
        raise exception
    return save


@pytest.mark.parametrize("exception", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_save_leaves_the_previous_checkpoint_valid(tmp_path, monkeypatch, exception):
    model = torch.nn.Linear(3, 2)
    checkpointer = AtomicCheckpointer(model, str(tmp_path))
    checkpointer.save("model_0001")
    saved = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model.weight.add_(1.0)

    monkeypatch.setattr(checkpoint_module.torch, "save", failing_save(exception))
    expected = OSError if isinstance(exception, OSError) else KeyboardInterrupt
    with pytest.raises(expected) as raised:
        checkpointer.save("model_0002")
    if expected is OSError:
        message = str(raised.value)
        assert "model_0002.pth" in message and "No space left on device" in message
        assert "last complete checkpoint is still" in message and "model_0001.pth" in message
        assert raised.value.errno == errno.ENOSPC
    monkeypatch.undo()

    assert sorted(p.name for p in tmp_path.iterdir()) == ["last_checkpoint", "model_0001.pth"]
    assert (tmp_path / "last_checkpoint").read_text() == "model_0001.pth"
    restored = torch.nn.Linear(3, 2)
    AtomicCheckpointer(restored, str(tmp_path)).resume_or_load("", resume=True)
    assert all(torch.equal(restored.state_dict()[k], v) for k, v in saved.items())


def test_successful_saves_replace_the_file_and_the_tag(tmp_path):
    model = torch.nn.Linear(3, 2)
    checkpointer = AtomicCheckpointer(model, str(tmp_path))
    checkpointer.save("model_final", iteration=7)
    checkpointer.save("model_final", iteration=8)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last_checkpoint", "model_final.pth"]
    assert torch.load(tmp_path / "model_final.pth", weights_only=True)["iteration"] == 8


def test_missing_weights_are_named_unless_resuming_from_a_checkpoint(tmp_path):
    model = torch.nn.Linear(3, 2)
    missing = str(tmp_path / "no_such_run" / "model_final.pth")
    checkpointer = AtomicCheckpointer(model, str(tmp_path))
    for resume in (False, True):  # --resume without a checkpoint falls back to MODEL.WEIGHTS
        with pytest.raises(FileNotFoundError, match=f"MODEL.WEIGHTS: checkpoint '{missing}' does not exist"):
            checkpointer.resume_or_load(missing, resume=resume)
    assert checkpointer.resume_or_load("", resume=False) == {}  # no weights: the model's initialisation

    checkpointer.save("model_0001")
    saved = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    checkpointer.resume_or_load(missing, resume=True)  # the run's checkpoint; MODEL.WEIGHTS is not used
    assert torch.equal(model.weight, saved)
