import pytest
from fastreid.data.common import CommDataset
from fastreid.data.datasets import DATASET_REGISTRY

from hhcl.data.errors import DatasetNotFoundError, UnreadableImageError
from hhcl.data.synthetic import ensure_dataset

from ..conftest import TINY_SPEC


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
