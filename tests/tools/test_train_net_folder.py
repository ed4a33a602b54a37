"""tools/train_net.py on your own folder of crops: no cameras, no train
identities (configs/HHCL/folder.yml), trained and evaluated end to end."""

from __future__ import annotations

import math

import numpy as np

from PIL import Image

from hhcl.reports.ranked_lists import CORRECT

from ..helpers import REPO, TINY_RUN, final_table, run_tool, write_crop
from .test_train_net import log_lines, train_net

NUM_IDS = 8


def own_crops(root):
    """Train: 8 shots of each of 8 people, shuffled into two nested folders,
    named without identity; query / gallery: a folder per person (1 / 3 shots)."""
    order = np.random.default_rng(0).permutation(NUM_IDS * 8)
    for index, shot in enumerate(order):
        path = root / "train" / f"day{index % 2}" / "cam" / f"shot_{index:03d}.jpg"
        write_crop(path, shot % NUM_IDS, shot // NUM_IDS)
    for pid in range(NUM_IDS):
        write_crop(root / "query" / f"person_{pid}" / "q.jpg", pid, 100)
        for k in range(3):
            write_crop(root / "gallery" / f"person_{pid}" / f"g{k}.png", pid, 101 + k)
    return root


def test_hhcl_trains_and_evaluates_on_a_folder_without_cameras_or_identities(tmp_path):
    """... and tools/visualize.py frames each query's gallery shots of its
    person as matches (the camera-free protocol leaves out only the query)."""
    crops = own_crops(tmp_path / "crops")
    result = train_net("--config-file", str(REPO / "configs/HHCL/folder.yml"), "DATASETS.FOLDER.ROOT", str(crops),
                       "OUTPUT_DIR", str(tmp_path / "run"), *TINY_RUN, datasets=tmp_path / "datasets", timeout=300)
    assert result.returncode == 0, result.stderr[-5000:]
    log = "\n".join(log_lines(result))
    assert "FolderDataset is evaluated under the camera-free protocol" in log
    assert f"{NUM_IDS} of {NUM_IDS} queries have a true match" in log
    assert "quality unavailable: the train images have no true identities" in log
    assert "precision" not in log.split("pseudo labels:", 1)[1].split("\n", 1)[0]
    metrics = final_table(result.stdout)["FolderDataset"]
    assert set(metrics) == {"mAP", "Rank-1", "Rank-5", "Rank-10", "mINP"}
    assert all(math.isfinite(value) and 0 <= value <= 100 for value in metrics.values())

    sheet_path = tmp_path / "lists.png"
    shown = run_tool("visualize.py", "--config-file", str(REPO / "configs/HHCL/folder.yml"), "--num-queries", "4",
                     "--top-k", str(NUM_IDS * 3), "--output", str(sheet_path), "DATASETS.FOLDER.ROOT", str(crops),
                     *TINY_RUN, "MODEL.WEIGHTS", str(tmp_path / "run" / "model_final.pth"))
    assert shown.returncode == 0, shown.stderr[-3000:]
    cell_w, cell_h = 64 + 8, 128 + 8
    with Image.open(sheet_path) as sheet:
        for row in range(4):           # the whole gallery is shown: each query's 3 shots are green
            frames = [sheet.getpixel((cell_w // 2 + cell_w * (rank + 1) + 1, row * cell_h + 1))
                      for rank in range(NUM_IDS * 3)]
            assert frames.count(CORRECT) == 3
