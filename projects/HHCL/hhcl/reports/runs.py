"""One finished run — method, backbone, final and per-epoch metrics — read from its output folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..run_folder import read_config, read_final_metrics, read_metrics, read_pseudo_label_records

METRICS = ("mAP", "Rank-1", "Rank-5", "Rank-10", "mINP")
MEMORY_METHODS = {"hybrid": "HHCL", "hard_mean": "HHCL (release memory)", "mean": "Cluster Contrast",
                  "hard": "Cluster Contrast (hard)"}


@dataclass
class RunSummary:
    """What tools/compare.py reports of one run."""

    folder: Path
    method: str
    backbone: str
    init: str
    results: dict[str, dict[str, float]]       # dataset -> metric -> value (final evaluation)
    minutes: float
    evaluations: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # dataset -> [(epoch, mAP)]
    pseudo_labels: list[dict] = field(default_factory=list)                     # pseudo_labels.jsonl records

    def best_epoch(self, dataset: str) -> tuple[int, float] | None:
        """(epoch, mAP) of the best evaluation on ``dataset`` during training."""
        series = self.evaluations.get(dataset, [])
        return max(series, key=lambda point: point[1]) if series else None


def describe_method(cfg: dict) -> str:
    """``HHCL``, ``Cluster Contrast``, ``HCT``, ``bagtricks`` …, with ``w/ GT``
    for the supervised upper bounds."""
    arch = cfg["MODEL"]["META_ARCHITECTURE"]
    pseudo = cfg.get("PSEUDO_LABELS", {}).get("METHOD", "dbscan")
    if arch == "HHCL":
        name = MEMORY_METHODS.get(cfg["MODEL"]["MEMORY"]["MODE"], f"HHCL ({cfg['MODEL']['MEMORY']['MODE']})")
        name += " (agglomerative)" if pseudo == "agglomerative" else ""
    elif arch == "HCT":
        name = "HCT" + (" (DBSCAN)" if pseudo == "dbscan" else "")
    elif arch == "Baseline":
        return "FastReID bagtricks (source labels)" if cfg["DATASETS"]["NAMES"] != cfg["DATASETS"]["TESTS"] \
            else "FastReID bagtricks (supervised)"
    else:
        return arch
    return name + (" w/ GT" if pseudo == "ground_truth" else "")


def describe_backbone(cfg: dict) -> str:
    """Backbone by its usual name, with the pooling when it is not average pooling."""
    backbone, heads = cfg["MODEL"]["BACKBONE"], cfg["MODEL"]["HEADS"]
    name = backbone["NAME"].removeprefix("build_").removesuffix("_backbone")
    depth = str(backbone.get("DEPTH", "")).removesuffix("x")
    readable = {"resnet": f"ResNet-{depth}", "resnest": f"ResNeSt-{depth}", "small_cnn": "SmallCNN",
                "osnet": f"OSNet {backbone.get('DEPTH', '')}"}.get(name, name)
    if backbone.get("WITH_IBN"):
        readable = "IBN-" + readable
    pool = heads.get("POOL_LAYER", "GlobalAvgPool")
    if "GeneralizedMean" in pool:
        readable += " + GeM"
    elif pool not in ("GlobalAvgPool", "FastGlobalAvgPool"):
        readable += f" + {pool}"
    return readable


def describe_init(cfg: dict) -> str:
    """``scratch``, ``ImageNet`` or the folder of the ``MODEL.WEIGHTS`` checkpoint."""
    weights = cfg["MODEL"].get("WEIGHTS", "")
    if weights:
        return Path(weights).parent.name or Path(weights).name
    return "ImageNet" if cfg["MODEL"]["BACKBONE"].get("PRETRAIN") else "scratch"


def _evaluations(cfg: dict, metrics_lines: list[dict], final: dict) -> dict[str, list[tuple[int, float]]]:
    """mAP of every evaluation in metrics.json, by dataset; the k-th evaluation
    is taken at epoch min(k × TEST.EVAL_PERIOD, SOLVER.MAX_EPOCH). The final
    evaluation (final_metrics.json) closes the series at SOLVER.MAX_EPOCH when
    metrics.json lacks it (runs written before the plugin's writer fix)."""
    tests, period, last = cfg["DATASETS"]["TESTS"], cfg["TEST"]["EVAL_PERIOD"], cfg["SOLVER"]["MAX_EPOCH"]
    series: dict[str, list[tuple[int, float]]] = {}
    for dataset in tests:
        keys = (f"{dataset}/mAP",) + (("mAP",) if len(tests) == 1 else ())
        values = [line[key] for line in metrics_lines for key in keys if key in line]
        series[dataset] = [(min((k + 1) * period, last), float(v)) for k, v in enumerate(values)]
        if dataset in final and (not series[dataset] or series[dataset][-1][0] != last):
            series[dataset].append((last, float(final[dataset]["mAP"])))
    return series


def load_run(folder: str | Path) -> RunSummary:
    """The summary of a finished tools/train_net.py run, read from its output
    folder (:mod:`hhcl.run_folder`)."""
    folder = Path(folder)
    final = read_final_metrics(folder)
    cfg = read_config(folder)
    return RunSummary(folder=folder, method=describe_method(cfg), backbone=describe_backbone(cfg),
                      init=describe_init(cfg), results=final["results"], minutes=float(final["minutes"]),
                      evaluations=_evaluations(cfg, read_metrics(folder), final["results"]),
                      pseudo_labels=read_pseudo_label_records(folder))


def common_dataset(runs: list[RunSummary]) -> str:
    """The one dataset every run was evaluated on."""
    shared = set.intersection(*(set(run.results) for run in runs)) if runs else set()
    if len(shared) != 1:
        raise ValueError(f"The runs share the test sets {', '.join(sorted(shared)) or '(none)'}; name the one "
                         f"to compare with --dataset")
    return shared.pop()
