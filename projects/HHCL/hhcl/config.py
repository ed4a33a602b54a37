"""``add_hhcl_config``: every config key the plugin adds, with its defaults."""

from __future__ import annotations

from fastreid.config import CfgNode

from .data.synthetic_config import add_synthetic_config


def add_hhcl_config(cfg: CfgNode) -> None:
    """Add the plugin's keys to a FastReID config (in place), with the HHCL
    paper's defaults.

    ``DATASETS.SYNTH_SOURCE`` / ``DATASETS.SYNTH_TARGET``: options of the
    synthetic datasets (see :class:`hhcl.data.SyntheticSpec`).

    ``INPUT.COLOR_CAST`` (see :class:`hhcl.data.RandomColorCast`): ``ENABLED``
    False, ``PROB`` 0.5, ``STRENGTH`` 0.2 — a random per-channel gain (white
    balance) applied to training images after FastReID's own transforms.

    ``MODEL.BN_CHUNK_SIZE`` 0: with N > 0, BatchNorm statistics in training
    are computed over chunks of N samples (see
    :func:`hhcl.modeling.split_batch_norm_`; 64 with batch 256 = the authors'
    4-GPU ``DataParallel``).

    ``HHCL.MEMORY`` (see :func:`hhcl.modeling.build_memory`):

    * ``MODE``: ``hybrid`` (HHCL paper, default), ``hard_mean`` (HHCL public
      release), ``mean`` / ``hard`` (Cluster Contrast);
    * ``TEMP`` τ = 0.05; ``MOMENTUM`` m = 0.1 (weight of the old memory row);
    * ``MU`` μ = 0.5, weight of the cluster-level loss (Eq. 2);
    * ``NUM_INSTANCES`` K = 16 instance slots per cluster (``hybrid``; the
      sampler's instances per identity);
    * ``LABEL_SMOOTH`` = 0: label smoothing of the cluster-level
      cross-entropies (the paper's "LS" row);
    * ``LEGACY_WEIGHTING`` False: ``hard_mean`` with the release's effective
      weighting ``μ·CE_hard + μ(1−μ)·CE_mean``.

    ``HHCL.ITERS_PER_EPOCH`` (200, the paper's): training steps between two
    pseudo-label updates; ``HHCL.SEED`` (−1: random): seeds every random
    stream of the run (samplers, memory slots, initialisation).

    ``HHCL.PSEUDO`` (see :mod:`hhcl.clustering`):

    * ``METHOD``: ``dbscan`` (k-reciprocal Jaccard + DBSCAN), ``agglomerative``
      (one HCT/BUC merge stage per update) or ``ground_truth`` (supervised
      upper bound);
    * ``EVERY_N_EPOCHS`` 1; ``K1`` 30, ``K2`` 6, ``KNN_INDEX`` ``exact``;
      ``EPS`` 0.6, ``MIN_SAMPLES`` 4 (DBSCAN);
    * ``MERGE_PERCENT`` 0.07, ``LINKAGE`` ``min``, ``SIZE_PENALTY`` 0.003,
      ``KNN`` 20 (agglomerative).
    """
    add_synthetic_config(cfg)
    cfg.MODEL.BN_CHUNK_SIZE = 0
    cfg.INPUT.COLOR_CAST = CfgNode({"ENABLED": False})
    cfg.INPUT.COLOR_CAST.PROB = 0.5
    cfg.INPUT.COLOR_CAST.STRENGTH = 0.2
    cfg.HHCL = CfgNode()
    cfg.HHCL.MEMORY = CfgNode()
    cfg.HHCL.MEMORY.MODE = "hybrid"
    cfg.HHCL.MEMORY.TEMP = 0.05
    cfg.HHCL.MEMORY.MOMENTUM = 0.1
    cfg.HHCL.MEMORY.MU = 0.5
    cfg.HHCL.MEMORY.NUM_INSTANCES = 16
    cfg.HHCL.MEMORY.LABEL_SMOOTH = 0.0
    cfg.HHCL.MEMORY.LEGACY_WEIGHTING = False
    cfg.HHCL.ITERS_PER_EPOCH = 200
    cfg.HHCL.SEED = -1
    cfg.HHCL.PSEUDO = CfgNode()
    cfg.HHCL.PSEUDO.METHOD = "dbscan"
    cfg.HHCL.PSEUDO.EVERY_N_EPOCHS = 1
    cfg.HHCL.PSEUDO.K1 = 30
    cfg.HHCL.PSEUDO.K2 = 6
    cfg.HHCL.PSEUDO.KNN_INDEX = "exact"
    cfg.HHCL.PSEUDO.EPS = 0.6
    cfg.HHCL.PSEUDO.MIN_SAMPLES = 4
    cfg.HHCL.PSEUDO.MERGE_PERCENT = 0.07
    cfg.HHCL.PSEUDO.LINKAGE = "min"
    cfg.HHCL.PSEUDO.SIZE_PENALTY = 0.003
    cfg.HHCL.PSEUDO.KNN = 20
