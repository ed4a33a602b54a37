"""extract_features: loader order, eval mode during extraction, mode restored."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hhcl.engine import extract_features


class Doubler(torch.nn.Module):
    """Returns twice the images' first column, and records its mode."""

    def __init__(self):
        super().__init__()
        self.modes = []

    def forward(self, batch):
        self.modes.append(self.training)
        return 2 * batch["images"][:, :1]


def test_features_ids_cameras_and_paths_in_loader_order():
    loader = [{"images": torch.arange(6.0).reshape(3, 2), "targets": torch.tensor([5, 6, 5]),
               "camids": torch.tensor([0, 1, 2]), "img_paths": ["a", "b", "c"]},
              {"images": torch.tensor([[9.0, 9.0]]), "targets": ["person_7"], "camids": ["cam3"], "img_paths": ["d"]}]
    model = Doubler().train()
    extracted = extract_features(model, loader)
    assert extracted.features.tolist() == [[0.0], [4.0], [8.0], [18.0]]
    assert extracted.ids.tolist() == ["5", "6", "5", "person_7"]
    assert extracted.cameras.tolist() == ["0", "1", "2", "cam3"]
    assert extracted.paths == ["a", "b", "c", "d"]
    assert model.modes == [False, False] and model.training


def test_numeric_ids_stay_numbers():
    loader = [{"images": torch.ones(2, 1), "targets": torch.tensor([1, 2]), "camids": torch.tensor([0, 0]),
               "img_paths": ["a", "b"]}]
    extracted = extract_features(Doubler().eval(), loader)
    assert extracted.ids.dtype.kind == "i" and np.array_equal(extracted.ids, [1, 2])


def test_features_stay_on_the_models_device_when_asked():
    """The pseudo-label step keeps them there for its k-NN search: a model
    whose outputs live on the ``meta`` device (which cannot be copied to
    the CPU) shows that nothing moves them."""

    class MetaOutputs(torch.nn.Module):
        def forward(self, batch):
            return torch.empty(len(batch["img_paths"]), 3, device="meta")

    loader = [{"images": torch.ones(2, 1), "targets": [1, 2], "camids": [0, 0], "img_paths": ["a", "b"]},
              {"images": torch.ones(1, 1), "targets": [3], "camids": [1], "img_paths": ["c"]}]
    kept = extract_features(MetaOutputs(), loader, keep_on_device=True).features
    assert kept.device.type == "meta" and kept.shape == (3, 3)
    with pytest.raises(NotImplementedError):
        extract_features(MetaOutputs(), loader)  # the default moves them to the CPU
