"""Trainers and the helpers around them."""

from .baseline_trainer import BaselineTrainer
from .results import format_results_table
from .setup import setup_cfg

__all__ = ["BaselineTrainer", "format_results_table", "setup_cfg"]
