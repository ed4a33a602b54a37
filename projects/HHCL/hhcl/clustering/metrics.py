"""Pseudo-label quality against ground truth, for logging only."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix


def as_singletons(labels: np.ndarray) -> np.ndarray:
    """Outliers (−1) become clusters of their own."""
    labels = np.asarray(labels).copy()
    outliers = labels < 0
    labels[outliers] = labels.max(initial=-1) + 1 + np.arange(outliers.sum())
    return labels


def _pairs(counts: np.ndarray) -> float:
    counts = counts.astype(np.float64)
    return float((counts * (counts - 1) / 2).sum())


def pseudo_label_quality(pseudo_labels: np.ndarray, true_ids: np.ndarray) -> dict[str, float]:
    """#clusters, #outliers, NMI, ARI and pairwise precision / recall.

    Outliers count as singleton clusters. Pairwise precision: of the pairs put
    in one cluster, the fraction of the same identity; recall: of the pairs of
    one identity, the fraction put in one cluster.
    """
    pseudo_labels = np.asarray(pseudo_labels)
    true_ids = np.asarray(true_ids)
    if pseudo_labels.shape != true_ids.shape:
        raise ValueError(f"{pseudo_labels.shape[0]} pseudo labels for {true_ids.shape[0]} identities")
    predicted = as_singletons(pseudo_labels)
    table = contingency_matrix(true_ids, predicted, sparse=True)
    together = _pairs(table.data)
    predicted_pairs = _pairs(np.bincount(predicted))
    true_pairs = _pairs(np.unique(true_ids, return_counts=True)[1])
    return {
        "num_clusters": int(len(np.unique(pseudo_labels[pseudo_labels >= 0]))),
        "num_outliers": int((pseudo_labels < 0).sum()),
        "nmi": float(normalized_mutual_info_score(true_ids, predicted)),
        "ari": float(adjusted_rand_score(true_ids, predicted)),
        "pairwise_precision": together / predicted_pairs if predicted_pairs else 0.0,
        "pairwise_recall": together / true_pairs if true_pairs else 0.0,
    }
