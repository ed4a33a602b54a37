"""Label smoothing of the memories: ``uniform`` (unchanged) and ``release``
(the HHCL release's top-k smoothing), against the plain-loop reference."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from hhcl.modeling import build_memory
from hhcl.modeling.memory import LABEL_SMOOTH_MODES, top_k_smoothed_cross_entropy
from hhcl.modeling.memory.logits import CentroidLogits, HardInstanceLogits

from .reference import cross_entropy, reference_step

MODES = ("mean", "hard", "hybrid", "hard_mean")
STATE_NAMES = {"mean": ("centroids",), "hard": ("centroids",), "hybrid": ("centroids", "instances"),
               "hard_mean": ("centroids", "hard_centroids")}
EPSILON = 0.1


# ------------------------------------------------------------ the CE alone
def crafted_logits(num_classes: int, seed: int = 0):
    """B×C float64 logits where sample 0's true class has the largest logit,
    sample 1's the second largest (both inside any top-k with k ≥ 2), sample
    2's the smallest and the others' a random one (outside the top-k)."""
    generator = torch.Generator().manual_seed(seed)
    logits = 3.0 * torch.randn(6, num_classes, generator=generator, dtype=torch.float64)
    labels = torch.randint(0, num_classes, (6,), generator=generator)
    order = logits.argsort(dim=1, descending=True)
    labels[0], labels[1], labels[2] = order[0, 0], order[1, 1], order[2, -1]
    return logits, labels


def loop_reference(logits: torch.Tensor, labels: torch.Tensor, smoothing: float) -> torch.Tensor:
    """Batch mean of the per-sample loop CE with the release's target built by hand."""
    total = 0.0
    for j in range(logits.shape[0]):
        total = total + cross_entropy(list(logits[j]), int(labels[j]), smoothing, smoothing_mode="release")
    return total / logits.shape[0]


@pytest.mark.parametrize("num_classes", [7, 99, 100, 149, 173, 260])
def test_top_k_smoothed_cross_entropy_matches_the_loop_reference(num_classes):
    logits, labels = crafted_logits(num_classes)
    k = num_classes // 50
    if k > 1:  # the crafted cases: true class inside the top-k (samples 0, 1), outside (sample 2)
        top_k = logits.topk(k, dim=1).indices
        inside = (top_k == labels[:, None]).any(dim=1)
        assert inside[0] and inside[1] and not inside[2]

    ours_in = logits.clone().requires_grad_()
    ours = top_k_smoothed_cross_entropy(ours_in, labels, EPSILON)
    ref_in = logits.clone().requires_grad_()
    ref = loop_reference(ref_in, labels, EPSILON)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)
    ours.backward()
    ref.backward()
    torch.testing.assert_close(ours_in.grad, ref_in.grad, rtol=1e-10, atol=1e-12)


def test_release_target_by_hand_for_one_sample():
    """C = 150, k = 3: q = 0.9 on y plus 0.1/3 on each of the top 3."""
    logits = torch.linspace(-1.0, 1.0, 150, dtype=torch.float64)[None].flip(1).clone()  # class 0 most probable
    log_p = F.log_softmax(logits, dim=1)[0]
    inside = top_k_smoothed_cross_entropy(logits, torch.tensor([1]), EPSILON)
    expected_inside = -(0.9 + 0.1 / 3) * log_p[1] - 0.1 / 3 * (log_p[0] + log_p[2])
    torch.testing.assert_close(inside, expected_inside, rtol=1e-14, atol=0)
    outside = top_k_smoothed_cross_entropy(logits, torch.tensor([77]), EPSILON)
    expected_outside = -0.9 * log_p[77] - 0.1 / 3 * (log_p[0] + log_p[1] + log_p[2])
    torch.testing.assert_close(outside, expected_outside, rtol=1e-14, atol=0)


@pytest.mark.parametrize("num_classes", [7, 99])
def test_below_100_classes_it_is_uniform_smoothing(num_classes):
    logits, labels = crafted_logits(num_classes)
    torch.testing.assert_close(top_k_smoothed_cross_entropy(logits, labels, EPSILON),
                               F.cross_entropy(logits, labels, label_smoothing=EPSILON), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("num_classes", [7, 173])
def test_zero_epsilon_is_plain_cross_entropy(num_classes):
    logits, labels = crafted_logits(num_classes)
    assert torch.equal(top_k_smoothed_cross_entropy(logits, labels, 0.0), F.cross_entropy(logits, labels))


@pytest.mark.parametrize("num_classes", [60, 173])
def test_top_k_smoothed_cross_entropy_gradcheck(num_classes):
    logits, labels = crafted_logits(num_classes, seed=3)
    logits.requires_grad_()
    assert torch.autograd.gradcheck(lambda z: top_k_smoothed_cross_entropy(z, labels, EPSILON), (logits,),
                                    fast_mode=True)


def test_no_gradient_flows_through_the_top_k_choice():
    """The gradient is that of −Σ q·log p with q held fixed: softmax(z) − q per sample, / B."""
    logits, labels = crafted_logits(173, seed=5)
    logits.requires_grad_()
    top_k_smoothed_cross_entropy(logits, labels, EPSILON).backward()
    k = 173 // 50
    q = (1 - EPSILON) * F.one_hot(labels, 173).double()
    q.scatter_add_(1, logits.detach().topk(k, dim=1).indices, torch.full((6, k), EPSILON / k, dtype=torch.float64))
    torch.testing.assert_close(logits.grad, (logits.detach().softmax(dim=1) - q) / 6, rtol=1e-10, atol=1e-14)


# ------------------------------------------------------------ the memories
NUM_CLUSTERS, DIM, SLOTS = 150, 8, 3   # k = 3
TEMP, MOMENTUM, MU = 0.1, 0.3, 0.4


def make_memory(mode, smoothing_mode, legacy=False, smoothing=EPSILON, seed=0):
    memory = build_memory(mode, DIM, NUM_CLUSTERS, num_instances=SLOTS, temp=TEMP, momentum=MOMENTUM, mu=MU,
                          label_smooth=smoothing, label_smooth_mode=smoothing_mode,
                          legacy_weighting=legacy).double()
    generator = torch.Generator().manual_seed(seed)
    labels = torch.cat([torch.arange(NUM_CLUSTERS), torch.randint(0, NUM_CLUSTERS, (200,), generator=generator)])
    features = F.normalize(torch.randn(labels.numel(), DIM, generator=generator, dtype=torch.float64), dim=1)
    memory.reset(features, labels, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():  # let the memories differ from one another (hard_mean starts H = C)
        for name in STATE_NAMES[mode]:
            state = getattr(memory, name)
            state.copy_(F.normalize(state + 0.3 * torch.randn(state.shape, generator=generator, dtype=torch.float64),
                                    dim=-1))
    return memory


def make_batch(memory):
    """Repeated labels; samples 0–4 close to their own centroid (true class in
    the top-k), the others random (true class outside it)."""
    labels = torch.tensor([3, 40, 3, 77, 120, 3, 149, 40, 0, 77, 3])
    generator = torch.Generator().manual_seed(1)
    noise = torch.randn(labels.numel(), DIM, generator=generator, dtype=torch.float64)
    features = noise.clone()
    features[:5] = memory.centroids[labels[:5]] + 0.05 * noise[:5]
    return F.normalize(features, dim=1), labels


def state_of(memory, mode):
    return {name: getattr(memory, name).clone() for name in STATE_NAMES[mode]}


CASES = [(mode, smoothing_mode, legacy) for mode in MODES for smoothing_mode in LABEL_SMOOTH_MODES
         for legacy in (False, True) if not legacy or mode == "hard_mean"]


@pytest.mark.parametrize("mode, smoothing_mode, legacy", CASES)
def test_memory_losses_gradient_and_update_match_the_loop_reference(mode, smoothing_mode, legacy):
    memory = make_memory(mode, smoothing_mode, legacy)
    before = state_of(memory, mode)
    features, labels = make_batch(memory)
    k = NUM_CLUSTERS // 50
    top_k = (features @ memory.centroids.t()).topk(k, dim=1).indices
    inside = (top_k == labels[:, None]).any(dim=1)
    assert inside.any() and not inside.all()

    ref_features = features.clone().requires_grad_()
    ref_losses, ref_after = reference_step(mode, before, ref_features, labels.tolist(), temp=TEMP, momentum=MOMENTUM,
                                           mu=MU, smoothing=EPSILON, legacy=legacy, smoothing_mode=smoothing_mode)
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


@pytest.mark.parametrize("mode", MODES)
def test_release_changes_the_losses_not_the_updates(mode):
    release, uniform = make_memory(mode, "release"), make_memory(mode, "uniform")
    features, labels = make_batch(release)
    for memory in (release, uniform):
        sum(memory(features.clone().requires_grad_(), labels).values()).backward()
    for name in STATE_NAMES[mode]:
        assert torch.equal(getattr(release, name), getattr(uniform, name))
    with torch.no_grad():
        assert sum(release(features, labels, update=False).values()) != \
            sum(uniform(features, labels, update=False).values())


@pytest.mark.parametrize("mode", MODES)
def test_release_every_term_is_smoothed(mode):
    """Each loss term of ``release`` differs from the unsmoothed one; with
    ``uniform`` the hybrid instance term is the unsmoothed one."""
    release, uniform, plain = (make_memory(mode, "release"), make_memory(mode, "uniform"),
                               make_memory(mode, "release", smoothing=0.0))
    features, labels = make_batch(release)
    with torch.no_grad():
        ours, theirs, none = (m(features, labels, update=False) for m in (release, uniform, plain))
    for name in none:
        assert not torch.allclose(ours[name], none[name])
        if name == "loss_instance":
            assert torch.equal(theirs[name], none[name])


@pytest.mark.parametrize("mode", MODES)
def test_release_gradcheck(mode):
    memory = make_memory(mode, "release")
    features, labels = make_batch(memory)
    features.requires_grad_()
    assert torch.autograd.gradcheck(lambda f: sum(memory(f, labels, update=False).values()), (features,),
                                    fast_mode=True)


@pytest.mark.parametrize("num_clusters", [6, NUM_CLUSTERS])
@pytest.mark.parametrize("mode", MODES)
def test_uniform_is_the_former_formula_bit_for_bit(mode, num_clusters):
    """``uniform``: F.cross_entropy(…, label_smoothing=ε) on the centroid CEs,
    plain F.cross_entropy on the hybrid instance CE, as before the option."""
    memory = build_memory(mode, DIM, num_clusters, num_instances=SLOTS, temp=TEMP, momentum=MOMENTUM, mu=MU,
                          label_smooth=EPSILON).double()
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(num_clusters).repeat(3)
    memory.reset(F.normalize(torch.randn(labels.numel(), DIM, generator=generator, dtype=torch.float64), dim=1),
                 labels, generator=generator)
    batch_labels = torch.tensor([3, 0, 3, 2, 5, 1])
    features = F.normalize(torch.randn(6, DIM, generator=generator, dtype=torch.float64), dim=1)

    def centroid_ce(f, memory_rows):
        return F.cross_entropy(CentroidLogits.apply(f, memory_rows, None) / TEMP, batch_labels,
                               label_smoothing=EPSILON)

    expected_in = features.clone().requires_grad_()
    if mode in ("mean", "hard"):
        expected = {"loss_cluster": centroid_ce(expected_in, memory.centroids)}
    elif mode == "hybrid":
        instance = F.cross_entropy(HardInstanceLogits.apply(expected_in, memory.instances, batch_labels, None) / TEMP,
                                   batch_labels)
        expected = {"loss_cluster": MU * centroid_ce(expected_in, memory.centroids),
                    "loss_instance": (1.0 - MU) * instance}
    else:
        expected = {"loss_hard": MU * centroid_ce(expected_in, memory.hard_centroids),
                    "loss_mean": (1.0 - MU) * centroid_ce(expected_in, memory.centroids)}
    sum(expected.values()).backward()

    ours_in = features.clone().requires_grad_()
    losses = memory(ours_in, batch_labels, update=False)
    assert set(losses) == set(expected)
    for name in losses:
        assert torch.equal(losses[name], expected[name]), name
    sum(losses.values()).backward()
    assert torch.equal(ours_in.grad, expected_in.grad)


# --------------------------------------------------------- options, config
def test_unknown_label_smooth_mode():
    with pytest.raises(ValueError, match=r"MODEL\.MEMORY\.LABEL_SMOOTH_MODE 'topk'.*uniform, release"):
        build_memory("hybrid", DIM, 3, label_smooth_mode="topk")


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_takes_the_option(mode):
    memory = build_memory(mode, DIM, 3, label_smooth=0.1, label_smooth_mode="release")
    assert memory.label_smooth_mode == "release" and memory.label_smooth == 0.1
    assert memory.extra_repr().startswith(f"mode={mode},")
    assert memory.extra_repr().endswith("label_smooth=0.1 (release)")
    assert build_memory(mode, DIM, 3).label_smooth_mode == "uniform"
    assert "label_smooth" not in build_memory(mode, DIM, 3).extra_repr()


def test_config_sets_the_smoothing_mode():
    from fastreid.config import get_cfg

    from hhcl import add_hhcl_config
    from hhcl.modeling import build_memory_from_cfg

    cfg = get_cfg()
    add_hhcl_config(cfg)
    assert cfg.MODEL.MEMORY.LABEL_SMOOTH_MODE == "uniform"
    assert build_memory_from_cfg(cfg, 16, 4).label_smooth_mode == "uniform"
    cfg.merge_from_list(["MODEL.MEMORY.LABEL_SMOOTH", "0.1", "MODEL.MEMORY.LABEL_SMOOTH_MODE", "release"])
    memory = build_memory_from_cfg(cfg, 16, 4)
    assert (memory.label_smooth, memory.label_smooth_mode) == (0.1, "release")
    cfg.merge_from_list(["MODEL.MEMORY.LABEL_SMOOTH_MODE", "Release"])
    with pytest.raises(ValueError, match="LABEL_SMOOTH_MODE"):
        build_memory_from_cfg(cfg, 16, 4)
