"""The memories against the plain-loop reference: losses, gradients, updates."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from hhcl.modeling import build_memory
from hhcl.modeling.memory.updates import occurrence_rank

from .reference import reference_step

MODES = ("mean", "hard", "hybrid", "hard_mean")
STATE_NAMES = {"mean": ("centroids",), "hard": ("centroids",), "hybrid": ("centroids", "instances"),
               "hard_mean": ("centroids", "hard_centroids")}
NUM_CLUSTERS, DIM, SLOTS = 6, 7, 3


def make_memory(mode, smoothing=0.0, legacy=False, dtype=torch.float64, seed=0):
    """A memory reset from random clustered features; every row made distinct."""
    memory = build_memory(mode, DIM, NUM_CLUSTERS, num_instances=SLOTS, temp=0.1, momentum=0.3, mu=0.4,
                          label_smooth=smoothing, legacy_weighting=legacy).to(dtype)
    generator = torch.Generator().manual_seed(seed)
    labels = torch.cat([torch.arange(NUM_CLUSTERS), torch.randint(-1, NUM_CLUSTERS, (30,), generator=generator)])
    features = F.normalize(torch.randn(labels.numel(), DIM, generator=generator, dtype=dtype), dim=1)
    memory.reset(features, labels, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():  # let the memories differ from one another (hard_mean starts H = C)
        for name in STATE_NAMES[mode]:
            state = getattr(memory, name)
            state.copy_(F.normalize(state + 0.3 * torch.randn(state.shape, generator=generator, dtype=dtype), dim=-1))
    return memory


def batch(seed=1, dtype=torch.float64):
    """Repeated labels, uneven counts, clusters 1 and 4 absent."""
    labels = torch.tensor([3, 0, 3, 2, 0, 3, 5, 3, 2, 0, 3])
    generator = torch.Generator().manual_seed(seed)
    features = F.normalize(torch.randn(labels.numel(), DIM, generator=generator, dtype=dtype), dim=1)
    return features, labels


def state_of(memory, mode):
    return {name: getattr(memory, name).clone() for name in STATE_NAMES[mode]}


CASES = [(mode, smoothing, legacy) for mode, smoothing, legacy in itertools.product(MODES, (0.0, 0.1), (False, True))
         if not legacy or mode == "hard_mean"]


@pytest.mark.parametrize("mode, smoothing, legacy", CASES)
def test_losses_gradient_and_update_match_the_loop_reference(mode, smoothing, legacy):
    memory = make_memory(mode, smoothing, legacy)
    before = state_of(memory, mode)
    features, labels = batch()

    ref_features = features.clone().requires_grad_()
    ref_losses, ref_after = reference_step(mode, before, ref_features, labels.tolist(), temp=0.1, momentum=0.3,
                                           mu=0.4, smoothing=smoothing, legacy=legacy)
    sum(ref_losses.values()).backward()

    ours = features.clone().requires_grad_()
    losses = memory(ours, labels)
    assert set(losses) == set(ref_losses)
    for name in losses:
        torch.testing.assert_close(losses[name], ref_losses[name], rtol=1e-12, atol=1e-12)
    for name, value in before.items():  # the update waits for the backward
        assert torch.equal(getattr(memory, name), value)
    sum(losses.values()).backward()
    torch.testing.assert_close(ours.grad, ref_features.grad, rtol=1e-10, atol=1e-12)
    for name, value in ref_after.items():
        torch.testing.assert_close(getattr(memory, name), value, rtol=1e-12, atol=1e-12)
    assert not any(getattr(memory, name).requires_grad for name in before)


@pytest.mark.parametrize("mode", MODES)
def test_update_without_backward_happens_right_after_forward(mode):
    memory = make_memory(mode)
    before = state_of(memory, mode)
    features, labels = batch()
    _, expected = reference_step(mode, before, features, labels.tolist(), temp=0.1, momentum=0.3, mu=0.4,
                                 smoothing=0.0, legacy=False)
    with torch.no_grad():
        memory(features, labels)
    for name, value in expected.items():
        torch.testing.assert_close(getattr(memory, name), value, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_no_update_when_asked(mode):
    memory = make_memory(mode)
    before = state_of(memory, mode)
    features, labels = batch()
    sum(memory(features.requires_grad_(), labels, update=False).values()).backward()
    for name, value in before.items():
        assert torch.equal(getattr(memory, name), value)


@pytest.mark.parametrize("mode", MODES)
def test_gradcheck(mode):
    memory = make_memory(mode, smoothing=0.1)
    features, labels = batch()
    features.requires_grad_()
    assert torch.autograd.gradcheck(lambda f: sum(memory(f, labels, update=False).values()), (features,))


@pytest.mark.parametrize("mode", MODES)
def test_backward_through_a_network_has_no_inplace_error(mode):
    memory = make_memory(mode, dtype=torch.float32)
    layer = torch.nn.Linear(5, DIM)
    labels = torch.tensor([0, 0, 1, 2, 2, 5])
    for _ in range(3):  # several steps: each update lands between steps
        features = F.normalize(layer(torch.randn(labels.numel(), 5)), dim=1)
        loss = sum(memory(features, labels).values())
        loss.backward()
    assert layer.weight.grad is not None and torch.isfinite(layer.weight.grad).all()


@pytest.mark.parametrize("mode", MODES)
def test_autocast_keeps_memory_math_in_float32(mode):
    memory = make_memory(mode, dtype=torch.float32)
    reference = make_memory(mode, dtype=torch.float32)
    features, labels = batch(dtype=torch.float32)
    half = features.to(torch.bfloat16).requires_grad_()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        losses = memory(half, labels)
    assert all(v.dtype == torch.float32 for v in losses.values())
    sum(losses.values()).backward()
    assert half.grad.dtype == torch.bfloat16
    exact = half.detach().float().requires_grad_()
    expected = reference(exact, labels)
    sum(expected.values()).backward()
    for name in losses:
        torch.testing.assert_close(losses[name], expected[name])
    for name in STATE_NAMES[mode]:
        assert getattr(memory, name).dtype == torch.float32
        torch.testing.assert_close(getattr(memory, name), getattr(reference, name))


def test_occurrence_rank():
    labels = torch.tensor([3, 0, 3, 2, 0, 3])
    assert occurrence_rank(labels).tolist() == [0, 0, 1, 0, 1, 2]


def test_more_samples_than_slots_keep_the_first_ones():
    memory = make_memory("hybrid")
    labels = torch.tensor([1] * (SLOTS + 2) + [0])
    features = F.normalize(torch.randn(labels.numel(), DIM, dtype=torch.float64), dim=1)
    with torch.no_grad():
        memory(features, labels)
    torch.testing.assert_close(memory.instances[1], features[:SLOTS])
