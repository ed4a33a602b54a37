"""MSMT17TrainVal: FastReID's MSMT17 with the val list in the train split."""

from __future__ import annotations

import pytest
from fastreid.data.datasets.msmt17 import MSMT17

from hhcl.data.msmt17 import MSMT17TrainVal


def write_lists(root, lists):
    base = root / "MSMT17_V1"
    for folder in ("train", "test"):
        (base / folder).mkdir(parents=True)
    for name, entries in lists.items():
        (base / f"list_{name}.txt").write_text("".join(f"{path} {pid}\n" for path, pid in entries))


LISTS = {
    "train": [("0000/0000_000_01_0303morning_0008_0.jpg", 0), ("0001/0001_000_05_0303morning_0010_0.jpg", 1)],
    "val": [("0002/0002_003_07_0303noon_0001_1.jpg", 2)],
    "query": [("0000/0000_000_02_0303morning_0001_0.jpg", 0)],
    "gallery": [("0000/0000_001_03_0303morning_0002_0.jpg", 0), ("0001/0001_000_04_0303noon_0004_0.jpg", 1)],
}


def test_train_split_holds_train_and_val_and_test_splits_are_fastreids(tmp_path):
    write_lists(tmp_path, LISTS)
    ours, theirs = MSMT17TrainVal(root=str(tmp_path)), MSMT17(root=str(tmp_path))
    assert [pid for _, pid, _ in ours.train] == ["msmt17_0", "msmt17_1", "msmt17_2"]
    assert [camid for _, _, camid in ours.train] == ["msmt17_0", "msmt17_4", "msmt17_6"]
    assert ours.train[:2] == theirs.train and len(theirs.train) == 2
    # The same test images; FastReID offsets their ids by the number of train ids (here with val's).
    for mine, fastreids in ((ours.query, theirs.query), (ours.gallery, theirs.gallery)):
        assert [(path, camid) for path, _, camid in mine] == [(path, camid) for path, _, camid in fastreids]
        assert [pid for _, pid, _ in mine] == [pid + 1 for _, pid, _ in fastreids]


def test_combineall_is_refused(tmp_path):
    write_lists(tmp_path, LISTS)
    with pytest.raises(ValueError, match="DATASETS.COMBINEALL"):
        MSMT17TrainVal(root=str(tmp_path), combineall=True)
