"""end_process_groups: nothing of a run's process groups outlives it."""

from __future__ import annotations

import torch.distributed as dist
from fastreid.utils import comm

from hhcl.compat import end_process_groups


def test_end_process_groups_drops_fastreids_references_to_the_groups(tmp_path):
    dist.init_process_group("gloo", init_method=f"file://{tmp_path}/pg", rank=0, world_size=1)
    try:
        comm._get_global_gloo_group()  # as all_gather and gather do with several processes
        comm._LOCAL_PROCESS_GROUP = dist.new_group([0])
        assert comm._get_global_gloo_group.cache_info().currsize == 1
    except BaseException:
        dist.destroy_process_group()
        raise
    end_process_groups()
    assert not dist.is_initialized()
    assert comm._get_global_gloo_group.cache_info().currsize == 0
    assert comm._LOCAL_PROCESS_GROUP is None
