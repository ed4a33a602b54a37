"""Two gloo processes keep identical memories, equal to one process that sees
the whole batch."""

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from hhcl.compat import end_process_groups
from hhcl.modeling import build_memory

MODES = ("mean", "hard", "hybrid", "hard_mean")
WORLD, LOCAL_BATCH, DIM, CLUSTERS, STEPS = 2, 6, 8, 5, 3


def _setup(mode):
    generator = torch.Generator().manual_seed(0)
    labels = torch.cat([torch.arange(CLUSTERS), torch.randint(0, CLUSTERS, (20,), generator=generator)])
    features = F.normalize(torch.randn(labels.numel(), DIM, generator=generator, dtype=torch.float64), dim=1)
    memory = build_memory(mode, DIM, CLUSTERS, num_instances=4, temp=0.1, momentum=0.3).double()
    memory.reset(features, labels, generator=torch.Generator().manual_seed(1))
    steps = []
    for _ in range(STEPS):
        y = torch.randint(0, CLUSTERS, (WORLD * LOCAL_BATCH,), generator=generator)
        f = F.normalize(torch.randn(y.numel(), DIM, generator=generator, dtype=torch.float64), dim=1)
        steps.append((f, y))
    return memory, steps


def _state(memory):
    return {k: v.clone() for k, v in memory.state_dict().items()}


def _worker(rank, init_file, out_dir):
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    try:
        for mode in MODES:
            memory, steps = _setup(mode)
            grads = []
            for f, y in steps:
                local = f[rank * LOCAL_BATCH:(rank + 1) * LOCAL_BATCH].clone().requires_grad_()
                sum(memory(local, y[rank * LOCAL_BATCH:(rank + 1) * LOCAL_BATCH]).values()).backward()
                grads.append(local.grad)
            torch.save({"state": _state(memory), "grads": grads}, f"{out_dir}/{mode}_rank{rank}.pt")
    finally:
        end_process_groups()


def test_ranks_agree_with_a_single_process(tmp_path):
    mp.spawn(_worker, args=(str(tmp_path / "init"), str(tmp_path)), nprocs=WORLD)
    for mode in MODES:
        memory, steps = _setup(mode)
        single_grads = []
        for f, y in steps:
            # One process, whole batch, updated like the ranks; its per-sample
            # gradient is the ranks' scaled by the batch-size ratio.
            whole = f.clone().requires_grad_()
            sum(memory(whole, y).values()).backward()
            single_grads.append(whole.grad * WORLD)
        results = [torch.load(tmp_path / f"{mode}_rank{r}.pt", weights_only=True) for r in range(WORLD)]
        for name, value in _state(memory).items():
            for result in results:
                torch.testing.assert_close(result["state"][name], value, rtol=1e-12, atol=1e-12)
        for step, expected in enumerate(single_grads):
            got = torch.cat([result["grads"][step] for result in results])
            torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)
