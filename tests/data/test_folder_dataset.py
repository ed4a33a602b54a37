"""FolderDataset: your own images, with or without identities and cameras."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from fastreid.config import get_cfg

from hhcl import add_hhcl_config
from hhcl.data import (DatasetNotFoundError, EmptyDatasetError, FolderDataset, FolderSpec, RandomMultipleGallerySampler,
                       RandomMultipleGallerySamplerNoCam, UnknownIdentity, dataset_kwargs, identities_known,
                       load_test_split, load_train_items)
from hhcl.labelers import GroundTruthLabeler

from ..helpers import write_crop

SMALL = (8, 4)


def market_folder(root):
    """Market-style names in nested folders, with a hidden file, a text file and a junk (-1) image."""
    for name in ("0001_c1s1_000001_00.jpg", "sub/0001_c2s1_000002_00.JPG", "sub/deeper/0002_c1s1_000003_00.png",
                 "0002_c3s1_000004_00.bmp"):
        write_crop(root / "train" / name, 0, 0, SMALL)
    for name in ("0003_c1s1_000005_00.jpeg", "0004_c2s1_000006_00.jpg"):
        write_crop(root / "query" / name, 0, 0, SMALL)
    for name in ("0003_c2s1_000007_00.jpg", "0004_c1s1_000008_00.jpg", "-1_c1s1_000009_00.jpg",
                 "0005_c3s1_000010_00.jpg"):
        write_crop(root / "gallery" / name, 0, 0, SMALL)
    (root / "train" / "notes.txt").write_text("not an image")
    (root / "train" / ".hidden.jpg").write_bytes(b"")
    return root


def folder_layout(root):
    """Unlabelled train images; query and gallery with a folder per identity, no cameras."""
    for index in range(5):
        write_crop(root / "train" / f"part{index % 2}" / f"img_{index}.jpg", index, 0, SMALL)
    for identity, name in (("bob", "a.jpg"), ("alice", "b.jpg")):
        write_crop(root / "query" / identity / name, 0, 0, SMALL)
    for identity, name in (("alice", "c.jpg"), ("alice", "cam9/d.jpg"), ("bob", "e.jpg"), ("carol", "f.jpg")):
        write_crop(root / "gallery" / identity / name, 0, 0, SMALL)
    return root


def test_market_style_names_give_fastreid_items(tmp_path):
    root = market_folder(tmp_path)
    dataset = FolderDataset(folder_spec=FolderSpec(root=str(root)))
    assert dataset.has_cameras
    assert dataset.train == [
        (str(root / "train/0001_c1s1_000001_00.jpg"), "folder_0001", "folder_1"),
        (str(root / "train/0002_c3s1_000004_00.bmp"), "folder_0002", "folder_3"),
        (str(root / "train/sub/0001_c2s1_000002_00.JPG"), "folder_0001", "folder_2"),
        (str(root / "train/sub/deeper/0002_c1s1_000003_00.png"), "folder_0002", "folder_1"),
    ]
    assert identities_known(dataset.train)
    # ids 0003, 0004, 0005 and cameras 1, 2, 3 numbered over query and gallery together; -1 is junk.
    assert [item[1:] for item in dataset.query] == [(0, 0), (1, 1)]
    assert [item[1:] for item in dataset.gallery] == [(0, 1), (1, 0), (2, 2)]
    assert all(isinstance(value, int) for item in dataset.query + dataset.gallery for value in item[1:])


def test_folders_name_identities_and_train_images_without_identity_are_unknown(tmp_path):
    root = folder_layout(tmp_path)
    dataset = FolderDataset(folder_spec=FolderSpec(root=str(root), id_from="folder", train_id_from="none"))
    assert not dataset.has_cameras
    pids = [pid for _, pid, _ in dataset.train]
    assert all(isinstance(pid, UnknownIdentity) and pid.startswith("folder_") for pid in pids)
    assert len(set(pids)) == 5 and not identities_known(dataset.train)
    assert {camera for _, _, camera in dataset.train} == {"folder_0"}
    names = {"alice": 0, "bob": 1, "carol": 2}
    assert [(p.split("/")[-2], pid) for p, pid, _ in dataset.query] == [("alice", 0), ("bob", 1)]
    assert [pid for _, pid, _ in dataset.gallery] == [names["alice"], names["alice"], names["bob"], names["carol"]]
    assert {camera for _, _, camera in dataset.query + dataset.gallery} == {0}


def test_a_pattern_without_camera_group_gives_no_cameras(tmp_path):
    root = market_folder(tmp_path)
    dataset = FolderDataset(folder_spec=FolderSpec(root=str(root), pattern=r"^(?P<id>-?\d+)_"))
    assert not dataset.has_cameras
    assert {camera for _, _, camera in dataset.train} == {"folder_0"}
    assert {camera for _, _, camera in dataset.query + dataset.gallery} == {0}


def test_linked_folders_are_followed_once(tmp_path):
    root = folder_layout(tmp_path)
    (root / "train" / "part0" / "loop").symlink_to(root / "train", target_is_directory=True)
    (root / "train" / "more").symlink_to(root / "query", target_is_directory=True)
    dataset = FolderDataset(folder_spec=FolderSpec(root=str(root), id_from="folder", train_id_from="none"))
    assert len(dataset.train) == 5 + 2


def test_query_and_gallery_may_be_one_folder(tmp_path):
    root = folder_layout(tmp_path)
    dataset = FolderDataset(folder_spec=FolderSpec(root=str(root), query_dir="gallery", id_from="folder"))
    assert dataset.query == dataset.gallery and len(dataset.query) == 4


def test_config_reaches_the_dataset_with_a_root_relative_to_the_datasets_root(datasets_root):
    folder_layout(datasets_root / "crops")
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_list(["DATASETS.NAMES", ("FolderDataset",), "DATASETS.FOLDER.ROOT", "crops",
                         "DATASETS.FOLDER.ID_FROM", "folder", "DATASETS.FOLDER.TRAIN_ID_FROM", "none"])
    assert dataset_kwargs(cfg, ["FolderDataset"]) == {"folder_spec": FolderSpec(
        root="crops", id_from="folder", train_id_from="none")}
    assert set(dataset_kwargs(cfg, ["SyntheticSource"])) == {"synthetic_specs"}
    assert dataset_kwargs(cfg, ["Market1501"]) == {}
    items = load_train_items(cfg)
    assert len(items) == 5 and items[0][0].startswith(str(datasets_root / "crops" / "train"))
    split = load_test_split(cfg, "FolderDataset")
    assert not split.has_cameras and len(split.query) == 2 and len(split.gallery) == 4
    with pytest.raises(ValueError, match="no true identities"):
        GroundTruthLabeler.from_config(cfg, items)


def test_default_config_is_the_default_spec():
    cfg = get_cfg()
    add_hhcl_config(cfg)
    assert FolderSpec.from_cfg(cfg.DATASETS.FOLDER) == FolderSpec()


def raises(error_type, spec: FolderSpec, split: str = "train"):
    start = time.perf_counter()
    with pytest.raises(error_type) as error:
        dataset = FolderDataset(folder_spec=spec)
        getattr(dataset, split)
    assert time.perf_counter() - start < 5
    return str(error.value)


def test_a_missing_root_or_split_folder_is_named_with_its_key(tmp_path):
    message = raises(ValueError, FolderSpec())
    assert "DATASETS.FOLDER.ROOT is not set" in message
    message = raises(DatasetNotFoundError, FolderSpec(root=str(tmp_path / "nowhere")))
    assert "DATASETS.FOLDER.ROOT" in message and str(tmp_path / "nowhere") in message
    folder_layout(tmp_path)
    message = raises(DatasetNotFoundError, FolderSpec(root=str(tmp_path), query_dir="queries", id_from="folder"),
                     split="query")
    assert "DATASETS.FOLDER.QUERY_DIR" in message and str(tmp_path / "queries") in message


def test_a_folder_without_images_is_named_with_its_key(tmp_path):
    (tmp_path / "train" / "empty").mkdir(parents=True)
    message = raises(EmptyDatasetError, FolderSpec(root=str(tmp_path)))
    assert "DATASETS.FOLDER.TRAIN_DIR" in message and str(tmp_path / "train") in message
    assert "holds no image" in message and "no file at all" in message
    (tmp_path / "train" / "empty" / "labels.csv").write_text("id\n")
    message = raises(EmptyDatasetError, FolderSpec(root=str(tmp_path)))
    assert "1 other file, e.g. empty/labels.csv" in message and ".jpg" in message


def test_a_pattern_that_matches_no_file_shows_the_pattern_and_three_names(tmp_path):
    names = [f"person{i}.jpg" for i in range(5)]
    for name in names:
        write_crop(tmp_path / "train" / name, 0, 0, SMALL)
    message = raises(ValueError, FolderSpec(root=str(tmp_path)))
    assert r"'^(?P<id>-?\\d+)_c(?P<camera>\\d+)'" in message and "matches no file name" in message
    assert "person0.jpg, person1.jpg, person2.jpg" in message and "person3.jpg" not in message
    assert "DATASETS.FOLDER.TRAIN_DIR" in message and "ID_FROM folder or none" in message
    write_crop(tmp_path / "train" / "0001_c1s1_000001_00.jpg", 0, 0, SMALL)
    assert "does not match 5 of 6 file names" in raises(ValueError, FolderSpec(root=str(tmp_path)))


def test_images_outside_identity_folders_are_named(tmp_path):
    write_crop(tmp_path / "train" / "alice" / "a.jpg", 0, 0, SMALL)
    write_crop(tmp_path / "train" / "loose.jpg", 0, 0, SMALL)
    message = raises(ValueError, FolderSpec(root=str(tmp_path), id_from="folder"))
    assert "1 of 2 images lie directly in DATASETS.FOLDER.TRAIN_DIR" in message and "loose.jpg" in message


@pytest.mark.parametrize("options, key", [({"id_from": "names"}, "ID_FROM"), ({"train_id_from": "x"}, "TRAIN_ID_FROM"),
                                          ({"pattern": r"^(\d+)_"}, "PATTERN"), ({"pattern": "("}, "PATTERN")])
def test_invalid_options_name_their_key(options, key):
    with pytest.raises(ValueError, match=f"DATASETS.FOLDER.{key}"):
        FolderSpec(root="x", **options)


def test_with_one_camera_the_release_sampler_draws_what_the_no_cam_sampler_draws():
    """FolderDataset's docstring: RandomMultipleGallerySampler falls back to
    the anchor's camera when there is no other, so on a camera-free train set
    it equals RandomMultipleGallerySamplerNoCam, batch for batch."""
    rng = np.random.default_rng(0)
    items = [(f"img{i}.jpg", int(label), "folder_0") for i, label in enumerate(rng.integers(0, 7, 60))]
    items.append(("lone.jpg", 99, "folder_0"))
    for num_instances, batch_size in ((4, 16), (2, None)):
        streams = [list(itertools.islice(iter(sampler(items, num_instances, seed=3, batch_size=batch_size)), 500))
                   for sampler in (RandomMultipleGallerySampler, RandomMultipleGallerySamplerNoCam)]
        assert streams[0] == streams[1]
    with_cameras = [(path, pid, f"folder_{i % 3}") for i, (path, pid, _) in enumerate(items)]
    assert (list(itertools.islice(iter(RandomMultipleGallerySampler(with_cameras, 4, seed=3)), 200))
            != list(itertools.islice(iter(RandomMultipleGallerySamplerNoCam(with_cameras, 4, seed=3)), 200)))
