"""Labelers: the pseudo-label methods by ``PSEUDO_LABELS.METHOD`` (dbscan,
agglomerative, ground_truth). A new method is a :class:`Labeler` subclass
registered in :data:`LABELER_REGISTRY`."""

from .agglomerative import AgglomerativeLabeler
from .base import LABELER_REGISTRY, Labeler, build_labeler
from .dbscan import JaccardDBSCANLabeler
from .ground_truth import GroundTruthLabeler, identity_labels

__all__ = ["LABELER_REGISTRY", "AgglomerativeLabeler", "GroundTruthLabeler", "JaccardDBSCANLabeler", "Labeler",
           "build_labeler", "identity_labels"]
