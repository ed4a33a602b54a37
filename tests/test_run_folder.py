"""The run folder: what tools/train_net.py and the hook write is what reports read."""

from __future__ import annotations

import pytest
import yaml

from hhcl import run_folder


def test_written_files_read_back(tmp_path):
    assert not run_folder.is_finished_run(tmp_path)
    (tmp_path / run_folder.CONFIG_FILE).write_text(yaml.safe_dump({"SEED": 3, "HHCL": {"PSEUDO": {"EPS": 0.5}}}))
    run_folder.write_final_metrics(tmp_path, {"Market1501": {"mAP": 50.5}}, minutes=2.0)
    run_folder.append_pseudo_label_record(tmp_path, {"epoch": 0, "ari": 0.5})
    run_folder.append_pseudo_label_record(tmp_path, {"epoch": 1, "ari": 0.6})
    assert run_folder.is_finished_run(tmp_path)
    assert run_folder.read_final_metrics(tmp_path) == {"results": {"Market1501": {"mAP": 50.5}}, "minutes": 2.0}
    assert [r["epoch"] for r in run_folder.read_pseudo_label_records(tmp_path)] == [0, 1]
    assert run_folder.read_metrics(tmp_path) == []
    with pytest.warns(FutureWarning):  # an earlier run's config is read under the current key names
        assert run_folder.read_config(tmp_path) == {"SEED": 3, "PSEUDO_LABELS": {"EPS": 0.5}}


def test_an_unfinished_run_is_named(tmp_path):
    (tmp_path / run_folder.CONFIG_FILE).write_text("SEED: 1\n")
    with pytest.raises(FileNotFoundError, match="final_metrics.json is missing.*not the OUTPUT_DIR of a finished"):
        run_folder.read_final_metrics(tmp_path)


def test_model_files_of_a_run(tmp_path):
    config_file, model_file = run_folder.config_file, run_folder.model_file
    with pytest.raises(FileNotFoundError, match="is not the OUTPUT_DIR"):
        model_file(tmp_path)
    (tmp_path / "config.yaml").write_text("SEED: 0\n")
    (tmp_path / "model_final.pth").write_bytes(b"")
    assert config_file(tmp_path) == tmp_path / "config.yaml"
    assert model_file(tmp_path) == tmp_path / "model_final.pth"
    with pytest.raises(FileNotFoundError, match="model_best.pth is missing .* model_final.pth"):
        model_file(tmp_path, "best")
    with pytest.raises(ValueError, match="one of final, best"):
        model_file(tmp_path, "last")
