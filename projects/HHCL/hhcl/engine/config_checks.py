"""``check_config``: every value of a run's config checked before anything is built.

A value is refused when FastReID or the plugin cannot run with it, or when it
lies outside the domain of what it names (a probability outside [0, 1], a
count below 1, a name no registry holds), never for being unusual. The
options of a switch (``INPUT.FLIP.ENABLED``, ``TEST.RERANK.ENABLED``, ...)
are checked only when it is on, as only then are they read; the datasets'
options (``DATASETS.FOLDER``, ``DATASETS.SYNTH_*``) only when those datasets
are used. The ranges are those documented with the keys
(``hhcl/config/defaults.py``; FastReID's ``fastreid/config/defaults.py`` and
the builders that read them).

The lower-level checks of the labelers, samplers and memories stay: they
guard direct library use. These make a run fail before its output folder,
data or model exist, with every problem at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import torch
from fastreid.config import CfgNode
from fastreid.data.datasets import DATASET_REGISTRY
from fastreid.layers import pooling
from fastreid.modeling.backbones import BACKBONE_REGISTRY
from fastreid.modeling.heads import REID_HEADS_REGISTRY
from fastreid.modeling.meta_arch import META_ARCH_REGISTRY
from fastreid.utils import comm

from ..clustering.agglomerative import LINKAGES
from ..clustering.knn import INDEXES
from ..data.folder import FolderDataset
from ..data.folder.spec import ID_SOURCES, MARKET_PATTERN
from ..data.samplers import SAMPLER_REGISTRY
from ..data.synthetic_config import CONFIG_NODES as SYNTHETIC_NODES
from ..data.transforms import REA_MODES
from ..evaluation import SETTINGS as PROTOCOL_SETTINGS
from ..labelers import LABELER_REGISTRY
from ..modeling import PseudoLabelModel
from ..modeling.memory import LABEL_SMOOTH_MODES, MEMORY_REGISTRY

#: FastReID's train samplers (``fastreid.data.build._train_loader_from_config``),
#: those of every meta-architecture that is not a :class:`~hhcl.modeling.PseudoLabelModel`.
FASTREID_SAMPLERS = ("TrainingSampler", "NaiveIdentitySampler", "BalancedIdentitySampler", "SetReWeightSampler",
                     "ImbalancedDatasetSampler")
#: Those that draw groups of ``DATALOADER.NUM_INSTANCE`` images per identity.
FASTREID_IDENTITY_SAMPLERS = ("NaiveIdentitySampler", "BalancedIdentitySampler", "SetReWeightSampler")
#: ``SOLVER.SCHED`` values ``fastreid.solver.build_lr_scheduler`` knows.
SCHEDULERS = ("MultiStepLR", "CosineAnnealingLR")
#: ``SOLVER.WARMUP_METHOD`` values (``fastreid.solver.lr_scheduler``).
WARMUP_METHODS = ("constant", "linear", "exp")
#: ``SOLVER.CLIP_GRADIENTS.CLIP_TYPE`` values (``fastreid.solver.build.GradientClipType``).
CLIP_TYPES = ("value", "norm")
#: ``TEST.METRIC`` values (``fastreid.utils.compute_dist.build_dist``).
METRICS = ("cosine", "euclidean", "jaccard")
#: ``INPUT.PADDING.MODE`` values (torchvision's ``Pad``).
PADDING_MODES = ("constant", "edge", "reflect", "symmetric")
#: numpy's seeds are below 2**32; epoch e is seeded with SEED + e.
SEED_LIMIT = 2**32


@dataclass(frozen=True)
class ConfigProblem:
    """One invalid value: its key, the value, and what is allowed."""

    key: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return f"{self.key} is {value!r}; {self.allowed}"


class ConfigValueError(ValueError):
    """Config values a run cannot use: ``problems`` holds every one found,
    each naming its key, its value and the allowed range."""

    def __init__(self, problems: Sequence[ConfigProblem]):
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{len(self.problems)} invalid config value{'s' if len(self.problems) > 1 else ''} "
                         f"(change them in the config file or on the command line):\n{lines}")


def _registered(registry) -> list[str]:
    """The names in a FastReID registry (which has no public listing)."""
    return list(registry._obj_map)


class _Checks:
    """The problems found so far in one config, and the rules that find them."""

    def __init__(self, cfg: CfgNode):
        self.cfg = cfg
        self.problems: list[ConfigProblem] = []

    def value(self, key: str) -> Any:
        node = self.cfg
        for name in key.split("."):
            node = node[name]
        return node

    def require(self, ok: bool, key: str, allowed: str) -> bool:
        if not ok:
            self.problems.append(ConfigProblem(key, self.value(key), allowed))
        return ok

    def at_least(self, key: str, minimum: float, note: str = "") -> bool:
        return self.require(self.value(key) >= minimum, key, f"must be at least {minimum}{note}")

    def above(self, key: str, bound: float, note: str = "") -> bool:
        return self.require(self.value(key) > bound, key, f"must be > {bound}{note}")

    def within(self, key: str, low: float, high: float, *, open_low: bool = False, open_high: bool = False,
               note: str = "") -> bool:
        value = self.value(key)
        ok = (low < value if open_low else low <= value) and (value < high if open_high else value <= high)
        interval = f"{'(' if open_low else '['}{low}, {high}{')' if open_high else ']'}"
        return self.require(ok, key, f"must be in {interval}{note}")

    def one_of(self, key: str, choices: Iterable[str], note: str = "") -> bool:
        choices = list(choices)
        return self.require(self.value(key) in choices, key, f"must be one of {', '.join(choices)}{note}")


def check_config(cfg: CfgNode, world_size: int | None = None) -> None:
    """Raise :class:`ConfigValueError` listing every value of ``cfg`` that
    the run cannot use (module docstring); ``world_size``: the number of
    training processes (default: ``torch.distributed``'s, as launched)."""
    checks = _Checks(cfg)
    world_size = comm.get_world_size() if world_size is None else world_size
    for section in (_check_model, _check_memory, _check_pseudo_labels, _check_solver, _check_input,
                    _check_datasets, _check_test):
        section(checks)
    _check_batches(checks, world_size)
    if checks.problems:
        raise ConfigValueError(checks.problems)


def _check_model(c: _Checks) -> None:
    try:
        torch.device(c.value("MODEL.DEVICE"))
    except RuntimeError:
        c.require(False, "MODEL.DEVICE", "must be a torch device: cpu, cuda or cuda:<index>")
    for key, registry in (("MODEL.META_ARCHITECTURE", META_ARCH_REGISTRY), ("MODEL.BACKBONE.NAME", BACKBONE_REGISTRY),
                          ("MODEL.HEADS.NAME", REID_HEADS_REGISTRY)):
        c.one_of(key, _registered(registry), f" (registered in FastReID's {registry._name} registry)")
    c.one_of("MODEL.HEADS.POOL_LAYER", pooling.__all__, " (FastReID's pooling layers)")
    chunk = c.value("MODEL.BN_CHUNK_SIZE")
    c.require(chunk == 0 or chunk >= 2, "MODEL.BN_CHUNK_SIZE", "must be 0 (the whole batch) or at least 2")


def _check_memory(c: _Checks) -> None:
    c.one_of("MODEL.MEMORY.MODE", MEMORY_REGISTRY.names(), " (registered in MEMORY_REGISTRY)")
    c.above("MODEL.MEMORY.TEMP", 0, " (temperature τ)")
    c.within("MODEL.MEMORY.MOMENTUM", 0, 1, note=" (momentum α, Eq. 4)")
    c.within("MODEL.MEMORY.MU", 0, 1, note=" (weight μ of the cluster-level loss, Eq. 2)")
    c.at_least("MODEL.MEMORY.NUM_INSTANCES", 1, " (instance slots K per cluster)")
    c.within("MODEL.MEMORY.LABEL_SMOOTH", 0, 1, open_high=True, note=" (label smoothing ε; 0: off)")
    c.one_of("MODEL.MEMORY.LABEL_SMOOTH_MODE", LABEL_SMOOTH_MODES)


def _check_pseudo_labels(c: _Checks) -> None:
    c.one_of("PSEUDO_LABELS.METHOD", LABELER_REGISTRY.names(), " (registered in LABELER_REGISTRY)")
    c.at_least("PSEUDO_LABELS.EVERY_N_EPOCHS", 1)
    if c.value("PSEUDO_LABELS.METHOD") == "infomap":
        c.at_least("PSEUDO_LABELS.K1", 2, " with PSEUDO_LABELS.METHOD infomap (the image itself and a neighbour)")
    else:
        c.at_least("PSEUDO_LABELS.K1", 1)
    c.at_least("PSEUDO_LABELS.K2", 1)
    c.one_of("PSEUDO_LABELS.KNN_INDEX", INDEXES)
    c.within("PSEUDO_LABELS.EPS", 0, 1, open_low=True, open_high=True,
             note=" (DBSCAN's ε on the Jaccard distance, which lies in [0, 1])")
    c.at_least("PSEUDO_LABELS.MIN_SAMPLES", 1)
    c.within("PSEUDO_LABELS.MERGE_PERCENT", 0, 1, open_low=True, open_high=True,
             note=" (merges per stage = MERGE_PERCENT × images)")
    c.one_of("PSEUDO_LABELS.LINKAGE", LINKAGES)
    c.at_least("PSEUDO_LABELS.SIZE_PENALTY", 0, " (λ of the size penalty; 0: none)")
    c.at_least("PSEUDO_LABELS.KNN", 1)
    c.within("PSEUDO_LABELS.MIN_SIMILARITY", -1, 1, note=" (a cosine similarity)")
    c.at_least("PSEUDO_LABELS.MAX_OUTLIER_SIZE", 0)


def _check_solver(c: _Checks) -> None:
    c.at_least("SOLVER.MAX_EPOCH", 1)
    c.at_least("SOLVER.ITERS_PER_EPOCH", 1)
    c.at_least("SOLVER.CHECKPOINT_PERIOD", 1, " (epochs)")
    c.above("SOLVER.BASE_LR", 0)
    for key in ("SOLVER.HEADS_LR_FACTOR", "SOLVER.BIAS_LR_FACTOR", "SOLVER.WEIGHT_DECAY", "SOLVER.WEIGHT_DECAY_NORM",
                "SOLVER.WEIGHT_DECAY_BIAS"):
        c.at_least(key, 0)
    optimizer = c.value("SOLVER.OPT")
    optimizer_class = getattr(torch.optim, optimizer, None)
    c.require(isinstance(optimizer_class, type) and issubclass(optimizer_class, torch.optim.Optimizer), "SOLVER.OPT",
              "must name an optimizer of torch.optim, e.g. Adam or SGD")
    if optimizer == "SGD":
        c.at_least("SOLVER.MOMENTUM", 0, " with SOLVER.OPT SGD")
    if c.one_of("SOLVER.SCHED", SCHEDULERS) and c.value("SOLVER.SCHED") == "CosineAnnealingLR":
        c.require(c.value("SOLVER.DELAY_EPOCHS") < c.value("SOLVER.MAX_EPOCH"), "SOLVER.DELAY_EPOCHS",
                  f"with SOLVER.SCHED CosineAnnealingLR must be below SOLVER.MAX_EPOCH ({c.value('SOLVER.MAX_EPOCH')})")
    if c.value("SOLVER.WARMUP_ITERS") > 0:
        c.one_of("SOLVER.WARMUP_METHOD", WARMUP_METHODS)
    if c.value("SOLVER.CLIP_GRADIENTS.ENABLED"):
        c.one_of("SOLVER.CLIP_GRADIENTS.CLIP_TYPE", CLIP_TYPES)
    seed_limit = SEED_LIMIT - max(c.value("SOLVER.MAX_EPOCH"), 1)
    c.require(c.value("SEED") <= seed_limit, "SEED",
              f"must be -1 (a random seed) or in [0, {seed_limit}] (SEED + epoch seeds numpy, below 2**32)")


def _check_image_size(c: _Checks, key: str) -> bool:
    """FastReID's resize: ``[height, width]``, ``[shorter side]``, or a first value <= 0 for none."""
    size = list(c.value(key))
    return c.require(len(size) in (1, 2) and all(isinstance(v, int) for v in size)
                     and (size[0] <= 0 or all(v > 0 for v in size)), key,
                     "must be [height, width] or [shorter side] in pixels, all > 0 (a first value <= 0: no resize)")


def _check_input(c: _Checks) -> None:
    train_size_ok = _check_image_size(c, "INPUT.SIZE_TRAIN")
    _check_image_size(c, "INPUT.SIZE_TEST")
    c.one_of("INPUT.REA.MODE", REA_MODES)
    for switch in ("FLIP", "CJ", "AUTOAUG", "AUGMIX", "REA", "RPT", "COLOR_CAST"):
        if c.value(f"INPUT.{switch}.ENABLED"):
            c.within(f"INPUT.{switch}.PROB", 0, 1, note=" (a probability)")
    if c.value("INPUT.COLOR_CAST.ENABLED"):
        c.within("INPUT.COLOR_CAST.STRENGTH", 0, 1, open_high=True, note=" (gains in [1 - STRENGTH, 1 + STRENGTH])")
    if c.value("INPUT.CJ.ENABLED"):
        for name in ("BRIGHTNESS", "CONTRAST", "SATURATION"):
            c.at_least(f"INPUT.CJ.{name}", 0)
        c.within("INPUT.CJ.HUE", 0, 0.5)
    if c.value("INPUT.PADDING.ENABLED"):
        c.at_least("INPUT.PADDING.SIZE", 0)
        c.one_of("INPUT.PADDING.MODE", PADDING_MODES)
        c.require(not train_size_ok or c.value("INPUT.SIZE_TRAIN")[0] > 0, "INPUT.SIZE_TRAIN",
                  "must give a size (> 0) with INPUT.PADDING.ENABLED: padded images are cropped back to it")


def _check_datasets(c: _Checks) -> None:
    registered = _registered(DATASET_REGISTRY)
    for key in ("DATASETS.NAMES", "DATASETS.TESTS"):
        names = c.value(key)
        if c.require(len(names) > 0, key, "must name at least one dataset"):
            c.require(all(name in registered for name in names), key,
                      f"must name datasets registered in FastReID's DATASET_REGISTRY: {', '.join(registered)}")
    if c.value("TEST.PRECISE_BN.ENABLED"):
        c.one_of("TEST.PRECISE_BN.DATASET", registered, " (registered in FastReID's DATASET_REGISTRY)")
    used = set(c.value("DATASETS.NAMES")) | set(c.value("DATASETS.TESTS"))
    if FolderDataset.__name__ in used:
        _check_folder(c)
    if used & {dataset.__name__ for dataset in SYNTHETIC_NODES}:
        for node in SYNTHETIC_NODES.values():  # the synthetic datasets read both nodes
            _check_synthetic(c, f"DATASETS.{node}")


def _check_folder(c: _Checks) -> None:
    c.require(bool(c.value("DATASETS.FOLDER.ROOT")), "DATASETS.FOLDER.ROOT",
              "must be set with FolderDataset: the folder holding your images, absolute or under FASTREID_DATASETS")
    c.one_of("DATASETS.FOLDER.ID_FROM", ID_SOURCES)
    c.one_of("DATASETS.FOLDER.TRAIN_ID_FROM", ("same",) + ID_SOURCES)
    try:
        has_id = "id" in re.compile(c.value("DATASETS.FOLDER.PATTERN")).groupindex
    except re.error:
        has_id = False
    c.require(has_id, "DATASETS.FOLDER.PATTERN",
              f"must be a regular expression with a named group 'id', e.g. {MARKET_PATTERN!r}")


def _check_synthetic(c: _Checks, node: str) -> None:
    """The ranges of :class:`~hhcl.data.SyntheticSpec`."""
    for name in ("NUM_TRAIN_IDS", "NUM_TEST_IDS"):
        c.at_least(f"{node}.{name}", 1)
    total = c.value(f"{node}.NUM_TRAIN_IDS") + c.value(f"{node}.NUM_TEST_IDS")
    c.require(total <= 9999, f"{node}.NUM_TEST_IDS",
              f"NUM_TRAIN_IDS + NUM_TEST_IDS ({total}) must be at most 9999 (4-digit Market-1501 ids)")
    c.within(f"{node}.NUM_CAMERAS", 2, 6, note=" (Market-1501 names)")
    c.at_least(f"{node}.IMAGES_PER_CAMERA", 2, " (one query and one gallery image)")
    c.within(f"{node}.DIFFICULTY", 0, 1)
    size = list(c.value(f"{node}.IMAGE_SIZE"))
    c.require(len(size) == 2 and size[0] >= 32 and size[1] >= 16, f"{node}.IMAGE_SIZE",
              "must be [height, width] of at least [32, 16]")


def _check_test(c: _Checks) -> None:
    c.one_of("TEST.PROTOCOL", PROTOCOL_SETTINGS)
    c.one_of("TEST.METRIC", METRICS)
    c.at_least("TEST.EVAL_PERIOD", 1, " (epochs)")
    if c.value("TEST.RERANK.ENABLED"):
        c.at_least("TEST.RERANK.K1", 1)
        c.at_least("TEST.RERANK.K2", 1)
    if c.value("TEST.AQE.ENABLED"):
        c.at_least("TEST.AQE.QE_K", 1)


def _train_samplers(c: _Checks) -> tuple[Sequence[str], Sequence[str], str] | None:
    """(the train samplers the meta-architecture's trainer can use, those of
    them that draw identity groups, where they come from); None for an
    unregistered meta-architecture."""
    name = c.value("MODEL.META_ARCHITECTURE")
    if name not in _registered(META_ARCH_REGISTRY):
        return None
    meta_architecture = META_ARCH_REGISTRY.get(name)
    if isinstance(meta_architecture, type) and issubclass(meta_architecture, PseudoLabelModel):
        return SAMPLER_REGISTRY.names(), SAMPLER_REGISTRY.names(), "the plugin's SAMPLER_REGISTRY"
    return FASTREID_SAMPLERS, FASTREID_IDENTITY_SAMPLERS, "FastReID's samplers"


def _check_batches(c: _Checks, world_size: int) -> None:
    """The train batch: whole identity groups for each of ``world_size``
    processes; the test batch: at least one image per process."""
    one_per_process = ("must be at least 1" if world_size == 1 else
                       f"must be at least {world_size}: 1 image for each of {world_size} processes")
    c.at_least("DATALOADER.NUM_WORKERS", 0)
    c.require(c.value("TEST.IMS_PER_BATCH") >= world_size, "TEST.IMS_PER_BATCH", one_per_process)
    instances_ok = c.at_least("DATALOADER.NUM_INSTANCE", 1, " (images per identity in a batch)")
    batch, instances = c.value("SOLVER.IMS_PER_BATCH"), c.value("DATALOADER.NUM_INSTANCE")
    sampler = c.value("DATALOADER.SAMPLER_TRAIN")
    samplers = _train_samplers(c)
    if samplers is not None:
        names, _, source = samplers
        c.one_of("DATALOADER.SAMPLER_TRAIN", names,
                 f" for MODEL.META_ARCHITECTURE {c.value('MODEL.META_ARCHITECTURE')} ({source})")
    if samplers is not None and sampler in samplers[1] and instances_ok:
        unit = world_size * instances
        below = batch // unit * unit
        examples = " or ".join(str(v) for v in (below, below + unit) if v > 0)
        split = (f"must split into {world_size} processes of whole groups of DATALOADER.NUM_INSTANCE ({instances}) "
                 f"images: a positive multiple of {unit}" if world_size > 1 else
                 f"must be a positive multiple of DATALOADER.NUM_INSTANCE ({instances}): whole groups of images "
                 f"per identity")
        c.require(batch > 0 and batch % unit == 0, "SOLVER.IMS_PER_BATCH",
                  f"with DATALOADER.SAMPLER_TRAIN {sampler} it {split}, e.g. {examples}")
    else:
        c.require(batch >= world_size, "SOLVER.IMS_PER_BATCH", one_per_process)
    chunk, local = c.value("MODEL.BN_CHUNK_SIZE"), max(batch, 0) // world_size
    if chunk >= 2 and local > chunk:
        c.require(local % chunk != 1, "MODEL.BN_CHUNK_SIZE",
                  f"leaves a last chunk of 1 image in each process's batch of {local}, which BatchNorm cannot "
                  f"normalise: choose a size that divides {local} or leaves at least 2")
