"""Evaluation: FastReID's re-ID metrics, vectorised, under FastReID's or the
camera-free protocol, and CPU re-ranking."""

from .evaluator import ReidEvaluator
from .protocol import DESCRIPTIONS, SETTINGS, check_evaluable, select_protocol, selected_by
from .rank import PROTOCOLS, evaluable_queries, evaluate_rank
from .rerank import rerank_distance

__all__ = ["DESCRIPTIONS", "PROTOCOLS", "SETTINGS", "ReidEvaluator", "check_evaluable", "evaluable_queries",
           "evaluate_rank", "rerank_distance", "select_protocol", "selected_by"]
