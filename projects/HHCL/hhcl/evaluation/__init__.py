"""Evaluation: FastReID's re-ID metrics, vectorised, and CPU re-ranking."""

from .evaluator import ReidEvaluator
from .rank import evaluate_rank
from .rerank import rerank_distance

__all__ = ["ReidEvaluator", "evaluate_rank", "rerank_distance"]
