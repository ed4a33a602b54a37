"""The record of every pseudo-label update: console, event storage and the run folder."""

from __future__ import annotations

import logging

import numpy as np
from fastreid.utils.events import EventStorage

from ..clustering import pseudo_label_quality
from ..run_folder import append_pseudo_label_record

logger = logging.getLogger(__name__)


class PseudoLabelLog:
    """Quality of each update against the true identities (which only this
    log sees in unsupervised training), its timing, written to the console,
    to FastReID's event storage (``pseudo/*``, ``time/*``: metrics.json and
    TensorBoard) and to ``pseudo_labels.jsonl`` in ``output_dir``.

    ``true_ids`` None: the train images have no true identities; each
    update then records only its cluster and outlier counts and says that
    the quality is unavailable."""

    def __init__(self, true_ids: np.ndarray | None, output_dir: str = ""):
        self.true_ids = true_ids
        self.output_dir = output_dir

    def record(self, storage: EventStorage, epoch: int, labels: np.ndarray, extract_s: float,
               cluster_s: float) -> dict:
        """Log one update; returns its record."""
        if self.true_ids is None:
            values = {"num_clusters": int(len(np.unique(labels[labels >= 0]))), "num_outliers": int((labels < 0).sum())}
            quality = "quality unavailable: the train images have no true identities"
        else:
            values = pseudo_label_quality(labels, self.true_ids)
            quality = (f"precision {values['pairwise_precision']:.3f}, recall {values['pairwise_recall']:.3f}, "
                       f"NMI {values['nmi']:.3f}, ARI {values['ari']:.3f}")
        storage.put_scalars(**{f"pseudo/{k}": v for k, v in values.items()},
                            **{"time/extract_s": extract_s, "time/cluster_s": cluster_s}, smoothing_hint=False)
        record = {"epoch": epoch, **values, "extract_s": extract_s, "cluster_s": cluster_s}
        if self.output_dir:
            append_pseudo_label_record(self.output_dir, record)
        logger.info(f"Epoch {epoch} pseudo labels: {values['num_clusters']} clusters, {values['num_outliers']} "
                    f"outliers of {labels.size}; {quality} (extract {extract_s:.1f} s, cluster {cluster_s:.1f} s)")
        return record
