"""MSMT17 with the train images the HHCL and Cluster Contrast releases train on."""

from __future__ import annotations

from fastreid.data.datasets import DATASET_REGISTRY
from fastreid.data.datasets.msmt17 import MSMT17


@DATASET_REGISTRY.register()
class MSMT17TrainVal(MSMT17):
    """FastReID's MSMT17 whose train split is ``list_train.txt`` and
    ``list_val.txt`` (30,248 + 2,373 = 32,621 images, 1,041 identities): the
    converted ``MSMT17_V1/bounding_box_train`` folder the releases read.
    FastReID's ``MSMT17`` trains on ``list_train.txt`` only, and its
    ``DATASETS.COMBINEALL`` would add the query and gallery images too. Query
    and gallery are FastReID's."""

    def __init__(self, root: str = "datasets", **kwargs):
        if kwargs.get("combineall"):
            raise ValueError("MSMT17TrainVal already trains on the train and val lists; DATASETS.COMBINEALL would "
                             "also add the query and gallery images. Set DATASETS.COMBINEALL False.")
        super().__init__(root, **kwargs)

    def process_dir(self, dir_path: str, list_path: str, is_train: bool = True) -> list[tuple]:
        items = super().process_dir(dir_path, list_path, is_train)
        if list_path == self.list_train_path:
            items += super().process_dir(dir_path, self.list_val_path, is_train)
        return items
