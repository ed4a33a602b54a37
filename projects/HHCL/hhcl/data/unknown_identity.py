"""Train images whose identity nobody knows (a folder of unlabelled crops).

FastReID's train items need an identity; a dataset without one gives each
such image its own :class:`UnknownIdentity`. Unsupervised training never
reads train identities; the two places that do (the pseudo-label quality
log and the ``ground_truth`` labeler) ask :func:`identities_known` first.
"""

from __future__ import annotations

from typing import Sequence


class UnknownIdentity(str):
    """A train identity that stands for "unknown": a ``str`` (FastReID's
    train ids are strings prefixed by the dataset name), unique per image,
    recognisable by its type wherever the items travel."""

    __slots__ = ()


def identities_known(train_items: Sequence[tuple]) -> bool:
    """Whether every (path, identity, camera) item has a true identity."""
    return not any(isinstance(item[1], UnknownIdentity) for item in train_items)
