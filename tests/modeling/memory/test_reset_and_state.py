"""Re-initialisation, state loading and bad input."""

import pytest
import torch
import torch.nn.functional as F

from hhcl.modeling import build_memory

DIM = 5


def clustered(labels, seed=0):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.tensor(labels)
    return F.normalize(torch.randn(labels.numel(), DIM, generator=generator, dtype=torch.float64), dim=1), labels


@pytest.mark.parametrize("mode", ["mean", "hard", "hybrid", "hard_mean"])
def test_reset_centroids_are_normalised_means_without_outliers(mode):
    features, labels = clustered([2, 0, -1, 1, 0, 2, 2, -1, 1, 0])
    memory = build_memory(mode, DIM, 1, num_instances=4).double()
    memory.reset(features, labels, generator=torch.Generator().manual_seed(0))
    assert memory.num_clusters == 3
    for i in range(3):
        members = [features[j] for j in range(len(labels)) if labels[j] == i]
        mean = sum(members) / len(members)
        torch.testing.assert_close(memory.centroids[i], mean / mean.norm())
    if mode == "hard_mean":
        assert torch.equal(memory.hard_centroids, memory.centroids)


def test_reset_instances_are_drawn_from_the_own_cluster_with_replacement_and_seeded():
    features, labels = clustered([0] * 3 + [1] * 20 + [-1] * 5 + [2])
    memory = build_memory("hybrid", DIM, 3, num_instances=16).double()
    memory.reset(features, labels, generator=torch.Generator().manual_seed(7))
    first = memory.instances.clone()
    assert first.shape == (3, 16, DIM)
    for i in range(3):
        members = features[labels == i]
        distance = torch.cdist(first[i], members)  # (slots, members)
        assert (distance.min(dim=1).values < 1e-12).all()
        drawn = set(distance.argmin(dim=1).tolist())
        assert len(drawn) <= len(members)
        if i == 1:
            assert len(drawn) > 3  # 16 draws with replacement among 20 members
    memory.reset(features, labels, generator=torch.Generator().manual_seed(7))
    assert torch.equal(memory.instances, first)
    memory.reset(features, labels, generator=torch.Generator().manual_seed(8))
    assert not torch.equal(memory.instances, first)


@pytest.mark.parametrize("mode", ["mean", "hybrid", "hard_mean"])
def test_checkpoint_of_another_size_loads(mode):
    features, labels = clustered(list(range(7)) * 2)
    trained = build_memory(mode, DIM, 2, num_instances=3).double()
    trained.reset(features, labels, generator=torch.Generator().manual_seed(0))
    fresh = build_memory(mode, DIM, 2, num_instances=3).double()
    fresh.load_state_dict(trained.state_dict())
    for name, value in trained.state_dict().items():
        assert torch.equal(fresh.state_dict()[name], value), name
    assert fresh.num_clusters == 7
    x = features[:4].clone().requires_grad_()
    sum(fresh(x, labels[:4]).values()).backward()  # usable right away


def test_forward_before_reset_says_what_to_do():
    memory = build_memory("hybrid", DIM, 3)
    with pytest.raises(RuntimeError, match="reset"):
        memory(torch.zeros(2, DIM), torch.tensor([0, 1]))


@pytest.mark.parametrize("labels, message", [
    ([-1, -1, -1], "0 clusters"),
    ([0, 2, 2], "without gaps"),
    ([0, -2, 1], ">= -1"),
])
def test_bad_pseudo_labels(labels, message):
    features, labels = clustered(labels)
    with pytest.raises(ValueError, match=message):
        build_memory("mean", DIM, 3).double().reset(features, labels)


def test_nan_features_and_bad_shapes():
    features, labels = clustered([0, 1, 1])
    memory = build_memory("mean", DIM, 3).double()
    with pytest.raises(ValueError, match="NaN"):
        memory.reset(torch.full_like(features, float("nan")), labels)
    with pytest.raises(ValueError, match="N×5"):
        memory.reset(features[:, :3], labels)
    memory.reset(features, labels)
    with pytest.raises(ValueError, match="labels must be in 0..1"):
        memory(features, torch.tensor([0, 1, 2]))


def test_unknown_mode_and_bad_options():
    with pytest.raises(ValueError, match="Unknown MODEL.MEMORY.MODE 'hybird'"):
        build_memory("hybird", DIM, 3)
    with pytest.raises(ValueError, match="TEMP"):
        build_memory("mean", DIM, 3, temp=0)
    with pytest.raises(ValueError, match="MU"):
        build_memory("hybrid", DIM, 3, mu=1.5)


def test_config_builds_the_memory():
    from fastreid.config import get_cfg

    from hhcl import add_hhcl_config
    from hhcl.modeling import build_memory_from_cfg

    cfg = get_cfg()
    add_hhcl_config(cfg)
    assert (cfg.MODEL.MEMORY.MODE, cfg.MODEL.MEMORY.TEMP, cfg.MODEL.MEMORY.MOMENTUM, cfg.MODEL.MEMORY.MU,
            cfg.MODEL.MEMORY.NUM_INSTANCES) == ("hybrid", 0.05, 0.1, 0.5, 16)
    cfg.merge_from_list(["MODEL.MEMORY.MODE", "hard_mean", "MODEL.MEMORY.LEGACY_WEIGHTING", "True",
                         "MODEL.MEMORY.LABEL_SMOOTH", "0.1"])
    memory = build_memory_from_cfg(cfg, 16, 4)
    assert type(memory).__name__ == "HardMeanMemory" and memory.legacy_weighting and memory.label_smooth == 0.1


def test_a_checkpointed_memory_of_another_mode_loads_what_it_has():
    features = F.normalize(torch.randn(20, 8), dim=1)
    labels = torch.arange(20) % 5
    mean = build_memory("mean", 8, 5)
    mean.reset(features, labels)
    hybrid = build_memory("hybrid", 8, 1, num_instances=4)
    hybrid.load_state_dict(mean.state_dict(), strict=False)
    assert not bool(hybrid.initialized)                   # no instance slots: rebuilt at the next clustering
    assert torch.equal(hybrid.centroids, mean.centroids)
    source = build_memory("hybrid", 8, 5, num_instances=4)
    source.reset(features, labels, generator=torch.Generator().manual_seed(0))
    back = build_memory("mean", 8, 1)
    back.load_state_dict(source.state_dict(), strict=False)
    assert bool(back.initialized) and torch.equal(back.centroids, source.centroids)
