"""The plugin's ReidEvaluator gives FastReID's ReidEvaluator's results."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from fastreid.config import get_cfg
from fastreid.evaluation import ReidEvaluator as FastReidEvaluator
from fastreid.utils.compute_dist import build_dist

from hhcl.evaluation import ReidEvaluator, rerank_distance


class FastReidReference(FastReidEvaluator):
    """FastReID's evaluator without its Cython build into site-packages,
    which the plugin's evaluator overrides too (see docs/COMPAT.md)."""

    def _compile_dependencies(self):
        pass


def predictions(seed=0, num=160, num_query=40, dim=16):
    generator = torch.Generator().manual_seed(seed)
    pids = torch.randint(0, 20, (num,), generator=generator)
    centres = torch.randn(20, dim, generator=generator)
    features = centres[pids] + 0.9 * torch.randn(num, dim, generator=generator)
    camids = torch.randint(0, 4, (num,), generator=generator)
    return num_query, [{"feats": features[i:i + 32], "pids": pids[i:i + 32], "camids": camids[i:i + 32]}
                       for i in range(0, num, 32)]


def results(evaluator_class, cfg, seed=0):
    num_query, batches = predictions(seed)
    evaluator = evaluator_class(cfg, num_query)
    evaluator._predictions = list(batches)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return evaluator.evaluate()


@pytest.mark.parametrize("options", [
    [], ["TEST.METRIC", "euclidean"], ["TEST.AQE.ENABLED", "True"], ["TEST.ROC.ENABLED", "True"],
    ["TEST.RERANK.ENABLED", "True", "TEST.RERANK.K1", "10", "TEST.RERANK.K2", "3"],
    ["TEST.RERANK.ENABLED", "True", "TEST.METRIC", "euclidean", "TEST.RERANK.K1", "8"],
])
def test_same_results_as_fastreid(options):
    cfg = get_cfg()
    cfg.merge_from_list(options)
    ours, theirs = results(ReidEvaluator, cfg), results(FastReidReference, cfg)
    assert list(ours) == list(theirs)
    for name in theirs:
        assert ours[name] == pytest.approx(theirs[name], abs=1e-9 if "RERANK" not in options else 1e-3), name


def test_rerank_block_equals_fastreid_dense_rerank():
    _, batches = predictions(3)
    features = torch.nn.functional.normalize(torch.cat([b["feats"] for b in batches]), dim=1)
    expected = build_dist(features[:40], features[40:], metric="jaccard", k1=12, k2=4)
    np.testing.assert_allclose(rerank_distance(features[:40], features[40:], k1=12, k2=4), expected, atol=1e-5)
