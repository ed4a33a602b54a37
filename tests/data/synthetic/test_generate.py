import dataclasses
import json
import re

import pytest

from hhcl.data.synthetic import dataset_folder, ensure_dataset, generate, plan_images

from ...helpers import TINY_SPEC

MARKET_NAME = re.compile(r"^(\d{4})_c(\d)s1_(\d{6})_00\.jpg$")


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*.jpg"))}


def test_market_layout_and_counts(tmp_path):
    folder = ensure_dataset(tmp_path, TINY_SPEC, "source", workers=1)
    manifest = json.loads((folder / "spec.json").read_text())
    for split, count in manifest["images"].items():
        names = [p.name for p in (folder / split).iterdir()]
        assert len(names) == count > 0
        assert all(MARKET_NAME.match(n) for n in names), names[:3]
    train_ids = {int(MARKET_NAME.match(p.name).group(1)) for p in (folder / "bounding_box_train").iterdir()}
    test_ids = {int(MARKET_NAME.match(p.name).group(1)) for p in (folder / "query").iterdir()}
    assert train_ids == set(range(1, TINY_SPEC.num_train_ids + 1))
    assert test_ids == set(range(TINY_SPEC.num_train_ids + 1, TINY_SPEC.num_train_ids + TINY_SPEC.num_test_ids + 1))
    for image in plan_images(TINY_SPEC, "source"):
        assert 1 <= image.camera <= TINY_SPEC.num_cameras


def test_every_test_identity_has_a_cross_camera_gallery_match():
    plan = plan_images(TINY_SPEC, "target")
    for query in (p for p in plan if p.split == "query"):
        assert any(g.pid == query.pid and g.camera != query.camera for g in plan if g.split == "bounding_box_test")


def test_same_seed_gives_byte_identical_files_whatever_the_workers(tmp_path):
    one = ensure_dataset(tmp_path / "a", TINY_SPEC, "target", workers=1)
    two = ensure_dataset(tmp_path / "b", TINY_SPEC, "target", workers=2)
    files = _files(one)
    assert files and files == _files(two)
    other = ensure_dataset(tmp_path / "c", dataclasses.replace(TINY_SPEC, seed=6), "target", workers=1)
    assert _files(other) != files


def test_cached_dataset_is_reused(tmp_path, monkeypatch):
    folder = ensure_dataset(tmp_path, TINY_SPEC, "source", workers=1)
    monkeypatch.setattr(generate, "_write_chunk", lambda *a: pytest.fail("regenerated a cached dataset"))
    assert ensure_dataset(tmp_path, TINY_SPEC, "source") == folder


def test_interrupted_generation_leaves_nothing_behind(tmp_path, monkeypatch):
    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(generate, "_write_chunk", crash)
    with pytest.raises(KeyboardInterrupt):
        ensure_dataset(tmp_path, TINY_SPEC, "source", workers=1)
    assert list((tmp_path / "synthetic").iterdir()) == []
    monkeypatch.undo()
    assert (ensure_dataset(tmp_path, TINY_SPEC, "source", workers=1) / "spec.json").is_file()
    assert dataset_folder(tmp_path, TINY_SPEC, "source").is_dir()
