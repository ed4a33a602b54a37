"""A clear error for ImageNet weights that are neither cached nor
downloadable (raised by :mod:`hhcl.compat.pretrained`, docs/COMPAT.md row 21)."""


class PretrainedWeightsNotFoundError(FileNotFoundError):
    """``MODEL.BACKBONE.PRETRAIN`` is on, ``PRETRAIN_PATH`` is empty, and the
    backbone's ImageNet weights are not in the cache and cannot be
    downloaded. The message names the file looked for, the cache folder, the
    URL and ``MODEL.BACKBONE.PRETRAIN_PATH``."""
