"""Your own images as a FastReID dataset: ``FolderDataset`` and its options
(``DATASETS.FOLDER``)."""

from .dataset import FolderDataset
from .listing import IMAGE_EXTENSIONS, list_images
from .spec import MARKET_PATTERN, FolderSpec

__all__ = ["IMAGE_EXTENSIONS", "MARKET_PATTERN", "FolderDataset", "FolderSpec", "list_images"]
