"""What a synthetic person dataset looks like: its size, cameras and difficulty."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, Mapping

#: Bumped whenever the renderer changes what a given spec produces, so that
#: cached datasets from an older renderer are not reused.
RENDERER_VERSION = 1


@dataclasses.dataclass(frozen=True)
class SyntheticSpec:
    """Options of one synthetic dataset (config node ``DATASETS.SYNTH_SOURCE``
    or ``DATASETS.SYNTH_TARGET``).

    Attributes:
        num_train_ids: identities in the train split (``bounding_box_train``).
        num_test_ids: further identities, split into query and gallery.
        num_cameras: cameras of this set-up (1-6, Market-1501 file names).
        images_per_camera: images of an identity in each camera that sees it;
            each identity is seen by a random subset of 2..num_cameras cameras.
        difficulty: 0 (clean, distinct people) .. 1 (strong camera nuisance,
            large groups of look-alike people).
        image_size: (height, width) of the saved images.
        seed: the same seed gives byte-identical files.
    """

    num_train_ids: int = 200
    num_test_ids: int = 200
    num_cameras: int = 4
    images_per_camera: int = 3
    difficulty: float = 0.5
    image_size: tuple[int, int] = (128, 64)
    seed: int = 0

    def __post_init__(self) -> None:
        problems = []
        if self.num_train_ids < 1 or self.num_test_ids < 1:
            problems.append("NUM_TRAIN_IDS and NUM_TEST_IDS must be at least 1")
        if self.num_train_ids + self.num_test_ids > 9999:
            problems.append("NUM_TRAIN_IDS + NUM_TEST_IDS must be at most 9999 (4-digit Market-1501 ids)")
        if not 2 <= self.num_cameras <= 6:
            problems.append(f"NUM_CAMERAS must be in 2..6 (Market-1501 names), got {self.num_cameras}")
        if self.images_per_camera < 2:
            problems.append(f"IMAGES_PER_CAMERA must be at least 2 (one query, one gallery "
                            f"image), got {self.images_per_camera}")
        if not 0.0 <= self.difficulty <= 1.0:
            problems.append(f"DIFFICULTY must be in [0, 1], got {self.difficulty}")
        height, width = self.image_size
        if height < 32 or width < 16:
            problems.append(f"IMAGE_SIZE must be at least (32, 16), got {self.image_size}")
        if problems:
            raise ValueError("Invalid synthetic dataset options: " + "; ".join(problems))

    @classmethod
    def from_cfg(cls, node: Mapping[str, Any]) -> "SyntheticSpec":
        """Build from a config node with upper-case keys (``NUM_TRAIN_IDS``...)."""
        values = {field.name: node[field.name.upper()] for field in dataclasses.fields(cls)}
        values["image_size"] = tuple(int(v) for v in values["image_size"])
        return cls(**values)

    def to_cfg_dict(self) -> dict[str, Any]:
        """The config node's keys and values (``image_size`` as a list)."""
        return {
            field.name.upper(): list(value) if isinstance(value, tuple) else value
            for field, value in zip(dataclasses.fields(self), dataclasses.astuple(self))
        }

    def fingerprint(self, variant: str) -> str:
        """A short hash naming the cached folder of this spec and variant."""
        payload = json.dumps([variant, RENDERER_VERSION, dataclasses.asdict(self)], sort_keys=True)
        return hashlib.sha1(payload.encode()).hexdigest()[:10]


#: Defaults of the two registered variants. The source set (labelled, stands
#: in for source pre-training) and the target set (unlabelled at training)
#: differ in cameras as well as in identities.
SOURCE_DEFAULTS = SyntheticSpec(num_train_ids=200, num_test_ids=100, num_cameras=4,
                                images_per_camera=4, difficulty=0.5, seed=1)
TARGET_DEFAULTS = SyntheticSpec(num_train_ids=200, num_test_ids=100, num_cameras=6,
                                images_per_camera=3, difficulty=0.5, seed=2)
