"""FastReID's re-ranking distance on a machine without GPU search (see
docs/COMPAT.md)."""

from __future__ import annotations

from typing import Callable

import torch


def jaccard_search_on_cpu(original: Callable) -> Callable:
    """``compute_jaccard_distance``: without CUDA or without faiss GPU support,
    the CPU faiss search (``search_option=3``) instead of the GPU one that
    ``build_dist`` asks for."""
    import faiss

    def compute_jaccard_distance(features, k1=20, k2=6, search_option=0, fp16=False):
        if not (torch.cuda.is_available() and faiss.get_num_gpus() > 0):
            search_option = 3
        return original(features, k1=k1, k2=k2, search_option=search_option, fp16=fp16)

    return compute_jaccard_distance
