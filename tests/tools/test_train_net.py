"""tools/train_net.py end to end, as a user runs it: train, evaluate, eval-only,
resume, and the errors a user sees for bad input; tools/compare.py and
tools/visualize.py on the trained run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch
from PIL import Image

from hhcl.data import SyntheticSource, SyntheticSpec
from hhcl.data.synthetic.colour_baseline import colour_histogram_map

from ..helpers import REPO, TINY_RUN, final_table

CONFIG = str(REPO / "configs/Baselines/synth_bagtricks_R18.yml")
SOURCE = SyntheticSpec(num_train_ids=48, num_test_ids=32, num_cameras=3, images_per_camera=3, seed=1)
BASELINE_RUN = [
    "DATASETS.SYNTH_SOURCE.NUM_TRAIN_IDS", "48", "DATASETS.SYNTH_SOURCE.NUM_TEST_IDS", "32",
    "DATASETS.SYNTH_SOURCE.NUM_CAMERAS", "3", "DATASETS.SYNTH_SOURCE.IMAGES_PER_CAMERA", "3",
    "DATASETS.SYNTH_SOURCE.SEED", "1",
    "DATASETS.SYNTH_TARGET.NUM_TRAIN_IDS", "4", "DATASETS.SYNTH_TARGET.NUM_TEST_IDS", "16",
    "DATASETS.SYNTH_TARGET.IMAGES_PER_CAMERA", "2",
    "SOLVER.IMS_PER_BATCH", "32", "SOLVER.MAX_EPOCH", "12", "SOLVER.STEPS", "[8, 11]",
    "SOLVER.WARMUP_ITERS", "20", "SOLVER.CHECKPOINT_PERIOD", "6", "TEST.EVAL_PERIOD", "12",
    "INPUT.SIZE_TRAIN", "[64, 32]", "INPUT.SIZE_TEST", "[64, 32]", "INPUT.PADDING.SIZE", "3",
]


def train_net(*args: str, datasets, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "FASTREID_DATASETS": str(datasets)}
    return subprocess.run([sys.executable, str(REPO / "tools/train_net.py"), *args], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=timeout)


def log_lines(result: subprocess.CompletedProcess) -> list[str]:
    """FastReID logs to stdout; errors and warnings go to stderr."""
    return (result.stdout + result.stderr).splitlines()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("train_net")
    out = root / "run"
    result = train_net("--config-file", CONFIG, "OUTPUT_DIR", str(out), *BASELINE_RUN, datasets=root / "datasets")
    assert result.returncode == 0, result.stderr[-5000:]
    return result, out, root / "datasets"


def test_training_prints_the_final_table_and_writes_its_outputs(trained):
    result, out, _ = trained
    table = final_table(result.stdout)
    best = ("SyntheticSource best mAP (epoch 12)", "SyntheticTarget best mAP (epoch 12)")
    assert set(table) == {"SyntheticSource", "SyntheticTarget", *best}
    # One evaluation (TEST.EVAL_PERIOD = SOLVER.MAX_EPOCH): the best is the last.
    assert table[best[0]] == table["SyntheticSource"] and table[best[1]] == table["SyntheticTarget"]
    for metrics in table.values():
        assert set(metrics) == {"mAP", "Rank-1", "Rank-5", "Rank-10", "mINP"}
        assert 0 <= metrics["mAP"] <= 100 and metrics["Rank-1"] <= metrics["Rank-5"] <= metrics["Rank-10"]
    for name in ("model_final.pth", "model_best.pth", "model_0005.pth", "metrics.json", "log.txt", "config.yaml", "last_checkpoint"):
        assert (out / name).is_file(), name
    assert list(out.glob("events.out.tfevents.*"))
    progress = [line for line in log_lines(result) if "epoch/iter:" in line]
    assert len(progress) >= 12  # at least one progress line per epoch


def test_weights_move_during_training(trained):
    _, out, _ = trained
    middle = torch.load(out / "model_0005.pth", map_location="cpu", weights_only=True)["model"]
    final = torch.load(out / "model_final.pth", map_location="cpu", weights_only=True)["model"]
    for name in ("backbone.conv1.weight", "backbone.layer4.1.conv2.weight", "heads.weight"):
        assert not torch.equal(middle[name], final[name]), name


def test_trained_model_is_far_better_than_colour_alone(trained):
    """Colour attributes do not identify people: a colour-histogram matcher on
    the person region scores far below a briefly trained ResNet-18."""
    result, _, datasets = trained
    model_map = final_table(result.stdout)["SyntheticSource"]["mAP"]
    dataset = SyntheticSource(root=str(datasets), synthetic_specs={"SyntheticSource": SOURCE})
    colour_map = colour_histogram_map(dataset.query, dataset.gallery)["mAP"]
    assert model_map > 2.5 * colour_map and model_map > colour_map + 20, (model_map, colour_map)


def test_eval_only_reproduces_the_final_metrics(trained, tmp_path):
    result, out, datasets = trained
    evaluation = train_net("--config-file", CONFIG, "--eval-only", "MODEL.WEIGHTS", str(out / "model_final.pth"),
                           "OUTPUT_DIR", str(tmp_path), *BASELINE_RUN, datasets=datasets)
    assert evaluation.returncode == 0, evaluation.stderr[-5000:]
    last = {name: row for name, row in final_table(result.stdout).items() if "best mAP" not in name}
    assert final_table(evaluation.stdout) == last


def test_resume_continues_after_the_last_checkpoint(trained, tmp_path):
    _, out, datasets = trained
    resumed_dir = tmp_path / "run"
    shutil.copytree(out, resumed_dir)
    resumed = train_net("--config-file", CONFIG, "--resume", "OUTPUT_DIR", str(resumed_dir), *BASELINE_RUN,
                        "SOLVER.MAX_EPOCH", "13", datasets=datasets)
    assert resumed.returncode == 0, resumed.stderr[-5000:]
    assert any("Starting training from epoch 12" in line for line in log_lines(resumed))
    assert len([line for line in log_lines(resumed) if "epoch/iter:" in line]) <= 3
    iterations = [json.loads(line)["iteration"] for line in (resumed_dir / "metrics.json").read_text().splitlines()]
    assert max(iterations) > 12 * 10


def test_config_typo_stops_with_yacs_error(tmp_path):
    result = train_net("--config-file", CONFIG, "OUTPUT_DIR", str(tmp_path), "SOLVER.MAX_EPOCHS", "3",
                       datasets=tmp_path)
    assert result.returncode != 0
    assert "Non-existent key: SOLVER.MAX_EPOCHS" in result.stderr


def test_missing_dataset_names_folder_and_variable(tmp_path):
    result = train_net("--config-file", CONFIG, "OUTPUT_DIR", str(tmp_path / "out"), "DATASETS.NAMES",
                       "('Market1501',)", datasets=tmp_path / "empty")
    assert result.returncode != 0
    assert "DatasetNotFoundError" in result.stderr and "FASTREID_DATASETS" in result.stderr
    assert str(tmp_path / "empty") in result.stderr
    # named before anything else is built: the synthetic test sets are not generated first
    assert "Generating synthetic" not in result.stdout + result.stderr


def test_two_cpu_processes_train_and_evaluate(trained, tmp_path):
    _, _, datasets = trained
    result = train_net("--config-file", CONFIG, "--num-gpus", "2", "--dist-url", "auto",
                       "OUTPUT_DIR", str(tmp_path / "out"), *BASELINE_RUN, "SOLVER.MAX_EPOCH", "1",
                       "TEST.EVAL_PERIOD", "1", "SOLVER.CHECKPOINT_PERIOD", "1", datasets=datasets)
    assert result.returncode == 0, result.stderr[-5000:]
    assert any("World size: 2" in line for line in log_lines(result))
    assert result.stdout.count("Final metrics") == 1  # only rank 0 reports
    assert set(final_table(result.stdout)) == {"SyntheticSource", "SyntheticTarget", "SyntheticSource best mAP (epoch 1)",
                                               "SyntheticTarget best mAP (epoch 1)"}
    assert (tmp_path / "out" / "model_final.pth").is_file() and (tmp_path / "out" / "model_best.pth").is_file()


def test_eval_only_with_flip_aqe_and_rerank(trained, tmp_path):
    result, out, datasets = trained
    options = ("TEST.FLIP.ENABLED", "True", "TEST.AQE.ENABLED", "True", "TEST.AQE.QE_K", "3",
               "TEST.RERANK.ENABLED", "True", "TEST.RERANK.K1", "10", "TEST.RERANK.K2", "3")
    evaluation = train_net("--config-file", CONFIG, "--eval-only", "MODEL.WEIGHTS", str(out / "model_final.pth"),
                           "OUTPUT_DIR", str(tmp_path), *BASELINE_RUN, *options, datasets=datasets)
    assert evaluation.returncode == 0, evaluation.stderr[-5000:]
    lines = log_lines(evaluation)
    assert any("Test with AQE setting" in line for line in lines)
    assert any("Test with rerank setting" in line for line in lines)
    table = final_table(evaluation.stdout)
    assert set(table) == {"SyntheticSource", "SyntheticTarget"}
    assert table != final_table(result.stdout)  # the options change the ranking


def tool(name: str, *args: str, datasets) -> subprocess.CompletedProcess:
    env = {**os.environ, "FASTREID_DATASETS": str(datasets)}
    return subprocess.run([sys.executable, str(REPO / "tools" / name), *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=300)


def test_compare_tables_and_plots_a_run(trained, tmp_path):
    _, out, datasets = trained
    ambiguous = tool("compare.py", str(out), "--output", str(tmp_path), datasets=datasets)
    assert ambiguous.returncode != 0 and "SyntheticSource, SyntheticTarget; name the one" in ambiguous.stderr
    result = tool("compare.py", str(out), "--dataset", "SyntheticTarget", "--output", str(tmp_path),
                  datasets=datasets)
    assert result.returncode == 0, result.stderr[-3000:]
    row = [cell.strip() for cell in (tmp_path / "compare.md").read_text().splitlines()[-1].strip("|").split("|")]
    assert row[:4] == ["FastReID bagtricks (source labels)", "ResNet-18", "scratch", "1"]   # n = 1 run, no ±
    assert row[-1] == f"12 ({row[4]})"          # its one evaluation, at the last epoch, reached metrics.json
    for plot in ("map.png", "pseudo_labels.png"):
        with Image.open(tmp_path / plot) as image:
            assert image.format == "PNG"


def test_visualize_draws_ranked_lists(trained, tmp_path):
    _, out, datasets = trained
    result = tool("visualize.py", "--config-file", CONFIG, "--dataset", "SyntheticTarget", "--num-queries", "3",
                  "--top-k", "4", "--output", str(tmp_path / "lists.png"), *BASELINE_RUN,
                  "MODEL.WEIGHTS", str(out / "model_final.pth"), datasets=datasets)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "3 queries of SyntheticTarget, top-4" in result.stdout
    with Image.open(tmp_path / "lists.png") as sheet:
        assert sheet.size == ((64 + 8) * 5 + (64 + 8) // 2, (128 + 8) * 3)
