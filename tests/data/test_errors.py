import pytest
from fastreid.data.common import CommDataset
from fastreid.data.datasets import DATASET_REGISTRY

from hhcl.data.errors import DatasetNotFoundError, EmptyDatasetError, UnreadableImageError
from hhcl.data.synthetic import ensure_dataset

from ..helpers import REPO, TINY_SPEC, write_images


def test_missing_dataset_folder_names_folder_and_variable(datasets_root):
    with pytest.raises(DatasetNotFoundError) as error:
        DATASET_REGISTRY.get("Market1501")(root=str(datasets_root))
    message = str(error.value)
    assert str(datasets_root / "bounding_box_train") in message or str(datasets_root) in message
    assert "FASTREID_DATASETS" in message and "Market1501" in message


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete"])
def test_unreadable_image_names_the_file(tmp_path, damage):
    folder = ensure_dataset(tmp_path, TINY_SPEC, "source", workers=1)
    path = sorted((folder / "bounding_box_train").iterdir())[0]
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    elif damage == "garbage":
        path.write_bytes(b"this is not a jpeg")
    else:
        path.unlink()
    dataset = CommDataset([(str(path), "p", "c")], transform=None, relabel=True)
    with pytest.raises(UnreadableImageError, match=str(path)):
        dataset[0]


@pytest.mark.parametrize("config", ["configs/Baselines/market_bagtricks_R50.yml", "configs/HHCL/market.yml"])
@pytest.mark.parametrize("empty", ["bounding_box_train", "query"])
def test_empty_dataset_folder_is_named_instead_of_hanging(tmp_path, monkeypatch, config, empty):
    """FastReID's identity sampler waits forever on an empty train folder;
    an empty query folder is named too."""
    from fastreid.config import get_cfg

    from hhcl import add_hhcl_config
    from hhcl.engine import trainer_class

    market = tmp_path / "Market-1501-v15.09.15"
    images = {"bounding_box_train": ["0001_c1s1_000001_00.jpg", "0002_c2s1_000001_00.jpg"],
              "query": ["0001_c1s1_000002_00.jpg"], "bounding_box_test": ["0001_c2s1_000002_00.jpg"]}
    for split, names in images.items():
        write_images(market / split, [] if split == empty else names, size=(16, 8))
        (market / split).mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr("fastreid.data.build._root", str(tmp_path))
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_file(str(REPO / config))
    cfg.merge_from_list(["MODEL.DEVICE", "cpu", "MODEL.BACKBONE.PRETRAIN", "False", "DATALOADER.NUM_WORKERS", "0"])
    with pytest.raises(EmptyDatasetError) as error:
        trainer_class(cfg)(cfg)
    message = str(error.value)
    assert str(market / empty) in message and "FASTREID_DATASETS" in message
    assert f"Market1501 has no {'train' if empty == 'bounding_box_train' else 'query'} images" in message
