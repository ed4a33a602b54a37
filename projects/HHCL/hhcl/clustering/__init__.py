"""Pseudo-label engine: k-NN search (faiss or torch, where the features
are), sparse k-reciprocal Jaccard distance, DBSCAN, hierarchical clustering,
InfoMap, pseudo-label quality and the step's memory estimate (docs/DESIGN.md, "Pseudo labels")."""

from .agglomerative import agglomerative
from .dbscan import dbscan, relabel_by_first_appearance
from .infomap import InfomapDependencyError, infomap_cluster, require_infomap
from .jaccard import jaccard_distance, jaccard_from_neighbours
from .knn import knn_search, shard_rows
from .metrics import as_singletons, pseudo_label_quality
from .pipeline import jaccard_dbscan

__all__ = ["InfomapDependencyError", "agglomerative", "as_singletons", "dbscan", "infomap_cluster", "jaccard_dbscan", "jaccard_distance",
           "jaccard_from_neighbours", "knn_search", "pseudo_label_quality", "relabel_by_first_appearance",
           "require_infomap", "shard_rows"]
