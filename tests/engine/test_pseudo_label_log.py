"""PseudoLabelLog without true identities: counts only, quality said to be
unavailable, never computed against stand-in ids."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from fastreid.utils.events import EventStorage
from PIL import Image

from hhcl.data import UnknownIdentity, identities_known
from hhcl.engine import PseudoLabelLog
from hhcl.reports import SeedGroup, plot_pseudo_labels
from hhcl.reports.runs import RunSummary
from hhcl.run_folder import read_pseudo_label_records

LABELS = np.array([0, 0, 1, -1, 1, 2])


def test_without_true_identities_only_counts_are_logged(tmp_path, caplog):
    storage = EventStorage(0)
    with caplog.at_level(logging.INFO, logger="hhcl.engine.pseudo_label_log"):
        record = PseudoLabelLog(None, str(tmp_path)).record(storage, 3, LABELS, extract_s=1.0, cluster_s=2.0)
    assert record == {"epoch": 3, "num_clusters": 3, "num_outliers": 1, "extract_s": 1.0, "cluster_s": 2.0}
    assert read_pseudo_label_records(tmp_path) == [record]
    assert {"pseudo/num_clusters", "pseudo/num_outliers"} <= set(storage.latest())
    assert not any(key in storage.latest() for key in ("pseudo/nmi", "pseudo/ari", "pseudo/pairwise_precision"))
    assert "3 clusters, 1 outliers of 6; quality unavailable: the train images have no true identities" in caplog.text


def test_with_true_identities_quality_is_logged(tmp_path):
    record = PseudoLabelLog(np.array([0, 0, 1, 1, 1, 2]), str(tmp_path)).record(EventStorage(0), 0, LABELS, 0.0, 0.0)
    assert {"nmi", "ari", "pairwise_precision", "pairwise_recall"} <= set(record)


def test_unknown_identities_are_recognised_wherever_they_travel():
    items = [("a.jpg", "folder_1", "folder_0"), ("b.jpg", UnknownIdentity("folder_image_b.jpg"), "folder_0")]
    assert identities_known(items[:1]) and not identities_known(items)
    assert not identities_known([tuple(item) for item in list(items)])


def test_runs_without_quality_still_plot(tmp_path):
    run = RunSummary(folder=Path(tmp_path), method="HHCL", backbone="SmallCNN", init="scratch", results={}, minutes=1.0,
                     pseudo_labels=[{"epoch": 0, "num_clusters": 3, "num_outliers": 1}])
    with Image.open(plot_pseudo_labels([SeedGroup([run], [0])], tmp_path / "pseudo.png")) as image:
        assert image.format == "PNG"
