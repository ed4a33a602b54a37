"""Labelers: the pseudo-label methods by ``PSEUDO_LABELS.METHOD`` (dbscan,
agglomerative, infomap, ground_truth). A new method is a :class:`Labeler` subclass
registered in :data:`LABELER_REGISTRY` (:class:`KnnLabeler` for one on a
k-NN graph); :func:`label_on_all_ranks` shares its k-NN search among the
processes of a ``torch.distributed`` run."""

from .agglomerative import AgglomerativeLabeler
from .base import LABELER_REGISTRY, KnnLabeler, Labeler, build_labeler, checked_knn_index
from .dbscan import JaccardDBSCANLabeler
from .distributed import label_on_all_ranks
from .ground_truth import GroundTruthLabeler, identity_labels
from .infomap import InfomapLabeler

__all__ = ["LABELER_REGISTRY", "AgglomerativeLabeler", "GroundTruthLabeler", "InfomapLabeler", "JaccardDBSCANLabeler",
           "KnnLabeler", "Labeler", "build_labeler", "checked_knn_index", "identity_labels", "label_on_all_ranks"]
