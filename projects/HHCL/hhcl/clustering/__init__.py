"""Pseudo-label engine: sparse k-reciprocal Jaccard distance, DBSCAN,
hierarchical clustering and pseudo-label quality (docs/DESIGN.md, "Pseudo labels")."""

from .agglomerative import agglomerative
from .dbscan import dbscan, relabel_by_first_appearance
from .jaccard import jaccard_distance, jaccard_from_neighbours
from .knn import knn_search
from .metrics import pseudo_label_quality
from .pipeline import jaccard_dbscan

__all__ = ["agglomerative", "dbscan", "jaccard_dbscan", "jaccard_distance", "jaccard_from_neighbours",
           "knn_search", "pseudo_label_quality", "relabel_by_first_appearance"]
