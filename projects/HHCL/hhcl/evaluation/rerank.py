"""k-reciprocal re-ranking (``TEST.RERANK``) through the sparse Jaccard distance."""

from __future__ import annotations

import numpy as np
import torch

from ..clustering import jaccard_distance


def rerank_distance(query_features: torch.Tensor, gallery_features: torch.Tensor, k1: int = 20,
                    k2: int = 6) -> np.ndarray:
    """The query×gallery block (float32, 1 where no neighbourhood is shared)
    of the k-reciprocal Jaccard distance over query and gallery together —
    FastReID's ``build_dist(..., metric="jaccard")`` without its N×N arrays."""
    features = torch.cat([query_features, gallery_features]).float().numpy()
    num_query = query_features.shape[0]
    block = jaccard_distance(features, k1=k1, k2=k2, rows=np.arange(num_query))[:, num_query:].tocoo()
    dense = np.ones(block.shape, dtype=np.float32)
    dense[block.row, block.col] = block.data
    return dense
