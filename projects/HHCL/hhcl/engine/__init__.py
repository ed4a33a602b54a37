"""Trainers, the pseudo-label hook and the helpers around them."""

from .baseline_trainer import BaselineTrainer
from .best_evaluation import BestEvaluationHook, per_dataset
from .checkpoint import AtomicCheckpointer, MemoryCheckpointer
from .config_checks import ConfigProblem, ConfigValueError, check_config
from .features import ExtractedFeatures, build_inference_loader, extract_features, extract_train_features
from .pseudo_label_hook import PseudoLabelHook
from .pseudo_label_log import PseudoLabelLog
from .pseudo_label_trainer import PseudoLabelTrainer
from .results import format_results_table
from .setup import setup_cfg
from .trained_model import add_trained_model_arguments, load_trained_model, load_trained_model_from_args
from .trainer_choice import trainer_class

__all__ = ["AtomicCheckpointer", "BaselineTrainer", "BestEvaluationHook", "ConfigProblem", "ConfigValueError", "ExtractedFeatures", "MemoryCheckpointer",
           "PseudoLabelHook", "PseudoLabelLog", "PseudoLabelTrainer", "add_trained_model_arguments",
           "build_inference_loader", "check_config", "extract_features", "extract_train_features", "format_results_table",
           "load_trained_model", "load_trained_model_from_args", "per_dataset", "setup_cfg", "trainer_class"]
