"""The plugin's re-ID evaluator: FastReID's metrics, computed fast."""

from __future__ import annotations

import copy
import itertools
import logging
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from fastreid.evaluation import ReidEvaluator as FastReidEvaluator
from fastreid.evaluation.query_expansion import aqe
from fastreid.utils import comm
from fastreid.utils.compute_dist import build_dist
from sklearn import metrics

from .protocol import select_protocol
from .rank import evaluate_rank, image_keys
from .rerank import rerank_distance

logger = logging.getLogger(__name__)


class ReidEvaluator(FastReidEvaluator):
    """FastReID's ``ReidEvaluator`` with the same results (Rank-1/5/10, mAP,
    mINP, ``metric``, optional ROC; ``TEST.AQE``, ``TEST.RERANK``,
    ``TEST.METRIC`` as FastReID reads them), but the ranking metrics come from
    :func:`hhcl.evaluation.evaluate_rank` (vectorised, exact) and re-ranking
    from the sparse Jaccard distance (no N×N arrays, no GPU needed).

    ``protocol`` (``cameras`` or ``camera_free``, see
    :func:`~hhcl.evaluation.evaluate_rank`; default: what ``TEST.PROTOCOL``
    gives a test set with cameras) decides which gallery items each query is
    ranked against, in the ranking metrics and the ROC alike; images are
    told apart by their paths (the batches' ``img_paths``).
    """

    def __init__(self, cfg, num_query: int, output_dir: str | None = None, protocol: str | None = None):
        super().__init__(cfg, num_query, output_dir)
        # A plain FastReID config has no TEST.PROTOCOL: auto, FastReID's protocol for its camera datasets.
        self.protocol = protocol or select_protocol(cfg.TEST.get("PROTOCOL", "auto"), has_cameras=True)

    def process(self, inputs, outputs):
        super().process(inputs, outputs)
        if "img_paths" in inputs:
            self._predictions[-1]["paths"] = list(inputs["img_paths"])

    def _compile_dependencies(self) -> None:
        """Nothing to compile. FastReID's evaluator builds its Cython ranking
        with ``make`` inside the installed package, and calls ``sys.exit(1)``
        in the middle of training when that fails (see docs/COMPAT.md)."""

    def evaluate(self):
        predictions = self._predictions
        if comm.get_world_size() > 1:
            comm.synchronize()
            predictions = list(itertools.chain(*comm.gather(self._predictions, dst=0)))
            if not comm.is_main_process():
                return {}
        features = torch.cat([p["feats"] for p in predictions])
        pids = torch.cat([p["pids"] for p in predictions]).numpy()
        camids = torch.cat([p["camids"] for p in predictions]).numpy()
        paths = (list(itertools.chain(*(p["paths"] for p in predictions)))
                 if all("paths" in p for p in predictions) else None)
        nq = self._num_query
        query_features, gallery_features = features[:nq], features[nq:]
        cfg = self.cfg.TEST

        if cfg.AQE.ENABLED:
            logger.info("Test with AQE setting")
            query_features, gallery_features = aqe(query_features, gallery_features, cfg.AQE.QE_TIME,
                                                   cfg.AQE.QE_K, cfg.AQE.ALPHA)
        dist = build_dist(query_features, gallery_features, cfg.METRIC)
        if cfg.RERANK.ENABLED:
            logger.info("Test with rerank setting (sparse k-reciprocal Jaccard distance)")
            if cfg.METRIC == "cosine":
                query_features = F.normalize(query_features, dim=1)
                gallery_features = F.normalize(gallery_features, dim=1)
            jaccard = rerank_distance(query_features, gallery_features, cfg.RERANK.K1, cfg.RERANK.K2)
            dist = jaccard * (1 - cfg.RERANK.LAMBDA) + dist * cfg.RERANK.LAMBDA

        q_images, g_images = (paths[:nq], paths[nq:]) if paths is not None else (None, None)
        cmc, all_ap, all_inp = evaluate_rank(dist, pids[:nq], pids[nq:], camids[:nq], camids[nq:],
                                             protocol=self.protocol, q_images=q_images, g_images=g_images)
        mean_ap, mean_inp = np.mean(all_ap), np.mean(all_inp)
        results = OrderedDict((f"Rank-{r}", cmc[r - 1] * 100) for r in (1, 5, 10))
        results["mAP"] = mean_ap * 100
        results["mINP"] = mean_inp * 100
        results["metric"] = (mean_ap + cmc[0]) / 2 * 100
        if cfg.ROC.ENABLED:
            from fastreid.evaluation.roc import evaluate_roc  # warns about Cython at import

            q_cams, g_cams = camids[:nq], camids[nq:]
            if self.protocol == "camera_free":
                # FastReID's rule with every image its own camera leaves out exactly the query image.
                q_cams, g_cams = image_keys(q_images, g_images, nq, len(pids) - nq)
            scores, labels = evaluate_roc(dist, pids[:nq], pids[nq:], q_cams, g_cams)
            fprs, tprs, _ = metrics.roc_curve(labels, scores)
            for fpr in (1e-4, 1e-3, 1e-2):
                results[f"TPR@FPR={fpr:.0e}"] = tprs[np.argmin(np.abs(fprs - fpr))]
        self._results = results
        return copy.deepcopy(results)
