"""Run summaries, the comparison table and the plots, on fabricated output folders."""

import json

import pytest
from fastreid.config import get_cfg
from PIL import Image

from hhcl import add_hhcl_config
from hhcl.reports import common_dataset, group_by_seed, load_run, plot_map_groups, plot_pseudo_labels, seed_table

from ..helpers import REPO

METRICS = {"mAP": 55.5, "Rank-1": 64.7, "Rank-5": 92.0, "Rank-10": 98.2, "mINP": 33.8}


def fake_run(folder, config, *options, results=None, maps=(), pseudo=()):
    """An OUTPUT_DIR as tools/train_net.py leaves it (config.yaml is the full config)."""
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_file(str(REPO / config))
    cfg.merge_from_list(list(options))
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(cfg.dump())
    (folder / "final_metrics.json").write_text(json.dumps({"results": results or {"SyntheticTarget": METRICS},
                                                           "minutes": 2.5}))
    lines = [{"iteration": 10 * i, "total_loss": 1.0} for i in range(3)]
    lines += [{"iteration": 100 * (i + 1), **entry} for i, entry in enumerate(maps)]
    (folder / "metrics.json").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    if pseudo:
        (folder / "pseudo_labels.jsonl").write_text("\n".join(json.dumps(r) for r in pseudo) + "\n")
    return folder


def quality(epoch, clusters):
    return {"epoch": epoch, "num_clusters": clusters, "num_outliers": 3, "pairwise_precision": 0.5 + epoch / 100,
            "pairwise_recall": 0.4, "nmi": 0.8, "ari": 0.3 + epoch / 100}


@pytest.fixture
def runs(tmp_path):
    hhcl_run = fake_run(tmp_path / "hhcl", "configs/HHCL/synth.yml", "TEST.EVAL_PERIOD", "10",
                        maps=[{"mAP": 40.0}, {"mAP": 57.0}, {"mAP": 51.0}, {"mAP": 55.5}],
                        pseudo=[quality(e, 150 + e) for e in range(40)])
    gt_run = fake_run(tmp_path / "gt", "configs/ClusterContrast/synth.yml", "PSEUDO_LABELS.METHOD", "ground_truth",
                      "MODEL.WEIGHTS", "/x/baseline/model_final.pth")
    hct_run = fake_run(tmp_path / "hct", "configs/HCT/synth.yml", "MODEL.BACKBONE.NAME", "build_resnet_backbone",
                       "MODEL.BACKBONE.DEPTH", "50x", "MODEL.BACKBONE.WITH_IBN", "True",
                       "MODEL.BACKBONE.PRETRAIN", "True")
    baseline = fake_run(tmp_path / "baseline", "configs/Baselines/synth_bagtricks_SmallCNN.yml",
                        "SOLVER.MAX_EPOCH", "16", "TEST.EVAL_PERIOD", "8",
                        results={"SyntheticSource": METRICS, "SyntheticTarget": METRICS},
                        maps=[{"SyntheticSource/mAP": 60.0, "SyntheticTarget/mAP": 30.0},
                              {"SyntheticSource/mAP": 70.0, "SyntheticTarget/mAP": 41.0}])
    return [load_run(folder) for folder in (hhcl_run, gt_run, hct_run, baseline)]


def test_methods_backbones_and_inits_are_named_from_the_config(runs):
    assert [(r.method, r.backbone, r.init) for r in runs] == [
        ("HHCL", "SmallCNN", "scratch"),
        ("Cluster Contrast w/ GT", "SmallCNN + GeM", "baseline"),
        ("HCT", "IBN-ResNet-50", "ImageNet"),
        ("FastReID bagtricks (source labels)", "SmallCNN", "scratch")]


def test_evaluations_per_epoch_and_best_epoch(runs):
    hhcl_run, gt_run, _, baseline = runs
    assert hhcl_run.evaluations["SyntheticTarget"] == [(10, 40.0), (20, 57.0), (30, 51.0), (40, 55.5)]
    assert hhcl_run.best_epoch("SyntheticTarget") == (20, 57.0)
    assert baseline.evaluations == {"SyntheticSource": [(8, 60.0), (16, 70.0)],
                                    "SyntheticTarget": [(8, 30.0), (16, 41.0)]}
    assert gt_run.evaluations["SyntheticTarget"] == [(40, 55.5)]     # only the final evaluation is known
    assert len(hhcl_run.pseudo_labels) == 40


def test_table_uses_the_shared_test_set(runs):
    assert common_dataset(runs) == "SyntheticTarget"
    table = seed_table(group_by_seed(runs), "SyntheticTarget").splitlines()
    assert [cell.strip() for cell in table[0].split("|")[1:-1]] == [
        "method", "backbone", "init", "n", "mAP", "Rank-1", "Rank-5", "Rank-10", "mINP", "train min",
        "best epoch (mAP)"]
    assert "| HHCL " in table[2] and "| 55.50 " in table[2] and "20 (57.00)" in table[2]
    assert len(table) == 2 + len(runs)
    with pytest.raises(ValueError, match="SyntheticSource, SyntheticTarget"):
        common_dataset(runs[3:])
    with pytest.raises(ValueError, match="has no results on SyntheticSource"):
        seed_table(group_by_seed(runs), "SyntheticSource")


def test_plots_are_written(runs, tmp_path):
    for path in (plot_map_groups(group_by_seed(runs), "SyntheticTarget", tmp_path / "map.png"),
                 plot_pseudo_labels(group_by_seed(runs), tmp_path / "pseudo.png")):
        with Image.open(path) as image:
            assert image.format == "PNG" and image.width > 500


def test_a_folder_that_is_not_a_finished_run_is_named(tmp_path):
    (tmp_path / "half").mkdir()
    with pytest.raises(FileNotFoundError, match="config.yaml is missing.*not the OUTPUT_DIR of a finished"):
        load_run(tmp_path / "half")
