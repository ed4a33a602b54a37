"""Runs of one config over several seeds: grouping, mean ± std, n and the
banded mAP plot, on fabricated output folders."""

import numpy as np
import pytest
from PIL import Image

from hhcl.reports import METRICS, group_by_seed, load_run, plot_map_groups, plot_pseudo_labels, seed_table

from .test_runs import fake_run, quality

CONFIG = "configs/HHCL/synth.yml"
MAPS = {0: 50.0, 1: 53.0, 2: 57.5}


def metrics(value):
    return {"SyntheticTarget": {m: value + i for i, m in enumerate(METRICS)}}


def cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


@pytest.fixture
def seed_runs(tmp_path):
    """Three seeds of HHCL (each with its own OUTPUT_DIR), one HHCL run with a
    different memory mode and one HCT run."""
    folders = [fake_run(tmp_path / f"hhcl_seed{s}", CONFIG, "SEED", str(s), "OUTPUT_DIR", f"logs/x/seed{s}",
                        "TEST.EVAL_PERIOD", "20", results=metrics(MAPS[s]),
                        maps=[{"mAP": MAPS[s] - 10 + s}, {"mAP": MAPS[s]}],
                        pseudo=[quality(epoch, 100 + 10 * s + epoch) for epoch in range(3 + s)])
               for s in MAPS]
    folders.append(fake_run(tmp_path / "release", CONFIG, "SEED", "0", "MODEL.MEMORY.MODE", "hard_mean",
                            results=metrics(40.0)))
    folders.append(fake_run(tmp_path / "hct", "configs/HCT/synth.yml", "SEED", "1", results=metrics(30.0)))
    return [load_run(folder) for folder in folders]


def test_seeds_of_one_config_are_one_group_other_configs_stay_apart(seed_runs):
    groups = group_by_seed(seed_runs)
    assert [(g.first.method, g.n, g.seeds) for g in groups] == [
        ("HHCL", 3, [0, 1, 2]), ("HHCL (release memory)", 1, [0]), ("HCT", 1, [1])]
    assert [run.folder.name for run in groups[0].runs] == ["hhcl_seed0", "hhcl_seed1", "hhcl_seed2"]


def test_output_dir_alone_does_not_split_but_any_other_key_does(tmp_path):
    same = [fake_run(tmp_path / name, CONFIG, "SEED", "4", "OUTPUT_DIR", f"logs/{name}") for name in ("a", "b")]
    other = fake_run(tmp_path / "c", CONFIG, "SEED", "4", "PSEUDO_LABELS.EPS", "0.55")
    groups = group_by_seed([load_run(folder) for folder in same + [other]])
    assert [g.n for g in groups] == [2, 1]


def test_table_gives_mean_sample_std_and_n(seed_runs):
    lines = seed_table(group_by_seed(seed_runs), "SyntheticTarget").splitlines()
    assert cells(lines[0]) == ["method", "backbone", "init", "n", *METRICS, "train min", "best epoch (mAP)"]
    assert len(lines) == 2 + 3
    row = cells(lines[2])
    assert row[:4] == ["HHCL", "SmallCNN", "scratch", "3"]
    values = np.array(list(MAPS.values()))
    mean, std = values.mean(), np.sqrt(((values - values.mean()) ** 2).sum() / (len(values) - 1))   # by hand, ddof=1
    assert row[4] == f"{mean:.2f} ± {std:.2f}" == "53.50 ± 3.77"
    assert row[5] == f"{mean + 1:.2f} ± {std:.2f}"                  # Rank-1 = mAP + 1 in every run
    assert row[-2] == "2.5"
    assert row[-1] == f"40/40/40 ({mean:.2f} ± {std:.2f})"         # the last evaluation is every run's best


def test_a_single_run_has_its_value_n_1_and_no_plus_minus(seed_runs):
    lines = seed_table(group_by_seed(seed_runs), "SyntheticTarget").splitlines()
    row = cells(lines[3])
    assert row[:5] == ["HHCL (release memory)", "SmallCNN", "scratch", "1", "40.00"]
    assert "±" not in lines[3] and "±" not in lines[4]


def test_map_band_is_mean_min_max_over_seeds(seed_runs):
    group = group_by_seed(seed_runs)[0]
    first = [MAPS[s] - 10 + s for s in MAPS]
    assert group.map_band("SyntheticTarget") == [
        (20, pytest.approx(np.mean(first)), min(first), max(first)),
        (40, pytest.approx(np.mean(list(MAPS.values()))), 50.0, 57.5)]


def test_pseudo_label_band_covers_the_updates_every_seed_has(seed_runs):
    group = group_by_seed(seed_runs)[0]
    clusters = {s: {epoch: 100 + 10 * s + epoch for epoch in range(3 + s)} for s in MAPS}   # as fabricated
    expected = [(epoch, np.mean([clusters[s][epoch] for s in MAPS]), min(clusters[s][epoch] for s in MAPS),
                 max(clusters[s][epoch] for s in MAPS)) for epoch in range(3)]   # seed 0 has epochs 0-2 only
    assert group.pseudo_label_band("num_clusters") == [pytest.approx(point) for point in expected]
    assert group_by_seed(seed_runs)[1].pseudo_label_band("ari") == []           # a run without quality records


def test_grouped_plots_are_written(seed_runs, tmp_path):
    groups = group_by_seed(seed_runs)
    for path in (plot_map_groups(groups, "SyntheticTarget", tmp_path / "map.png"),
                 plot_pseudo_labels(groups, tmp_path / "pseudo.png")):
        with Image.open(path) as image:
            assert image.format == "PNG" and image.width > 500


def test_a_group_member_without_the_dataset_is_named(seed_runs):
    with pytest.raises(ValueError, match="hhcl_seed0 has no results on SyntheticSource"):
        seed_table(group_by_seed(seed_runs), "SyntheticSource")
