"""PSEUDO_LABELS.METHOD infomap: built from the config through the registry,
equal to the clustering function with the configured values, its advice and
config errors; a clear error without the optional package; one tiny
training run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from fastreid.config import get_cfg

from hhcl import add_hhcl_config
from hhcl.clustering import InfomapDependencyError, infomap_cluster
from hhcl.labelers import InfomapLabeler, build_labeler

from ..helpers import REPO, TINY_RUN, identities

pytest.importorskip("infomap")  # the optional extra, installed by requirements-test.txt

ITEMS: list[tuple] = []  # the infomap labeler does not read the train items


def cfg_with(*options):
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_list(["PSEUDO_LABELS.METHOD", "infomap", *options])
    return cfg


def test_the_labeler_is_infomap_cluster_with_the_configured_values():
    cfg = cfg_with("PSEUDO_LABELS.K1", "9", "PSEUDO_LABELS.MIN_SIMILARITY", "0.4", "PSEUDO_LABELS.MAX_OUTLIER_SIZE",
                   "2")
    labeler = build_labeler(cfg, ITEMS)
    assert isinstance(labeler, InfomapLabeler)
    features = torch.from_numpy(identities())
    labels = labeler(features, previous=None)
    assert np.array_equal(labels, infomap_cluster(features.numpy(), k1=9, min_similarity=0.4, max_outlier_size=2))
    assert not np.array_equal(labels, infomap_cluster(features.numpy()))  # the defaults differ
    assert labels.max() > 10 and (labels == -1).any()
    (estimate,) = labeler.estimate_memory(features, world_size=1, labels_here=True)
    assert estimate.device == "cpu" and "InfoMap" in estimate.stages
    assert "MIN_SIMILARITY (now 0.4)" in labeler.advice(0) and "MAX_OUTLIER_SIZE (now 2)" in labeler.advice(0)
    assert "Raise PSEUDO_LABELS.MIN_SIMILARITY" in labeler.advice(1) and "K1 (now 9)" in labeler.advice(1)


@pytest.mark.parametrize("key, value, message", [
    ("PSEUDO_LABELS.K1", "1", "PSEUDO_LABELS.K1 must be at least 2 for infomap"),
    ("PSEUDO_LABELS.MIN_SIMILARITY", "1.5", r"PSEUDO_LABELS.MIN_SIMILARITY is a cosine similarity in \[-1, 1\]"),
    ("PSEUDO_LABELS.MAX_OUTLIER_SIZE", "-1", "PSEUDO_LABELS.MAX_OUTLIER_SIZE must be >= 0, got -1")])
def test_bad_values_name_the_key(key, value, message):
    with pytest.raises(ValueError, match=message):
        build_labeler(cfg_with(key, value), ITEMS)


def test_building_without_the_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "infomap", None)
    with pytest.raises(InfomapDependencyError, match=r'pip install -e "\.\[infomap\]"'):
        build_labeler(cfg_with(), ITEMS)


def test_a_tiny_run_trains_on_infomap_labels(tmp_path):
    result = subprocess.run(
        [sys.executable, "tools/train_net.py", "--config-file", "configs/ClusterContrast/synth.yml", *TINY_RUN,
         "PSEUDO_LABELS.METHOD", "infomap", "PSEUDO_LABELS.K1", "6", "PSEUDO_LABELS.MAX_OUTLIER_SIZE", "1",
         "OUTPUT_DIR", str(tmp_path / "run")], capture_output=True, text=True, cwd=REPO, timeout=300,
        env={**os.environ, "FASTREID_DATASETS": str(tmp_path / "datasets")})
    assert result.returncode == 0, result.stderr[-3000:]
    log = [json.loads(line) for line in (tmp_path / "run" / "pseudo_labels.jsonl").read_text().splitlines()]
    assert [entry["epoch"] for entry in log] == [0, 1]
    assert all(entry["num_clusters"] >= 2 for entry in log)
