"""A contact sheet: a grid of samples, one row per identity, one column per camera."""

from __future__ import annotations

import os

from PIL import Image, ImageDraw

from .generate import plan_images, render_planned
from .spec import SyntheticSpec


def contact_sheet(spec: SyntheticSpec, variant: str, num_ids: int = 12, first_id: int = 1,
                  shots: int = 1) -> Image.Image:
    """Identities ``first_id..first_id+num_ids-1`` (rows) in every camera
    (columns, ``shots`` images each); empty cells where a camera never sees
    the identity. Column headers name the cameras, row headers the ids."""
    height, width = spec.image_size
    planned = [p for p in plan_images(spec, variant)
               if first_id <= p.pid < first_id + num_ids and p.shot < shots]
    label_w, label_h, pad = 34, 14, 2
    cols = spec.num_cameras * shots
    sheet = Image.new("RGB", (label_w + cols * (width + pad), label_h + num_ids * (height + pad)),
                      (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for camera in range(1, spec.num_cameras + 1):
        draw.text((label_w + (camera - 1) * shots * (width + pad) + 2, 1), f"cam {camera}", fill=(0, 0, 0))
    for row in range(num_ids):
        draw.text((2, label_h + row * (height + pad) + height // 2 - 5), f"{first_id + row}", fill=(0, 0, 0))
    for image in planned:
        row = image.pid - first_id
        col = (image.camera - 1) * shots + image.shot
        tile = Image.fromarray(render_planned(spec, variant, image))
        sheet.paste(tile, (label_w + col * (width + pad), label_h + row * (height + pad)))
    return sheet


def save_contact_sheet(spec: SyntheticSpec, variant: str, path: str | os.PathLike, **kwargs) -> str:
    """Write :func:`contact_sheet` as a PNG; return the path."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    contact_sheet(spec, variant, **kwargs).save(path)
    return str(path)
