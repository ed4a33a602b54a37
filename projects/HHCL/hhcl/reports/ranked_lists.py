"""Ranked lists of a re-ID model: the top-k gallery images of some queries, drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw

from ..evaluation.rank import PROTOCOLS, image_keys

CORRECT, WRONG, QUERY = (0, 170, 0), (210, 0, 0), (40, 90, 220)


def rank_gallery(query_features: np.ndarray, gallery_features: np.ndarray, query_ids: np.ndarray,
                 gallery_ids: np.ndarray, query_cameras: np.ndarray, gallery_cameras: np.ndarray,
                 top_k: int, protocol: str = "cameras", query_paths: Sequence[str] | None = None,
                 gallery_paths: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each query, the indices of its ``top_k`` gallery images by cosine
    distance (stable order on ties), leaving out what the evaluation leaves
    out under ``protocol`` (docs/DESIGN.md, "Your own data"): ``cameras``,
    the gallery images of the same identity *and* camera; ``camera_free``,
    only the query image itself (the same path); and whether each is the
    query's identity. Both Q×k (fewer columns if the gallery is smaller)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"Unknown evaluation protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")
    queries = query_features / np.linalg.norm(query_features, axis=1, keepdims=True)
    gallery = gallery_features / np.linalg.norm(gallery_features, axis=1, keepdims=True)
    distances = 1.0 - queries @ gallery.T
    if protocol == "cameras":
        junk = (query_ids[:, None] == gallery_ids[None, :]) & (query_cameras[:, None] == gallery_cameras[None, :])
    else:
        query_keys, gallery_keys = image_keys(query_paths, gallery_paths, len(queries), len(gallery))
        junk = query_keys[:, None] == gallery_keys[None, :]
    distances[junk] = np.inf
    order = np.argsort(distances, axis=1, kind="stable")[:, :top_k]
    kept = np.take_along_axis(~junk, order, axis=1)
    width = int(kept.sum(axis=1).min())
    order = order[:, :width]
    return order, gallery_ids[order] == query_ids[:, None]


def draw_ranked_lists(query_paths: list[str], gallery_paths: list[str], ranked: np.ndarray, matches: np.ndarray,
                      output: str | Path, size: tuple[int, int] = (128, 64), border: int = 4) -> Path:
    """One row per query: the query (blue frame), a gap, then its ranked
    gallery images framed green (same identity) or red (another one)."""
    height, width = size
    cell_w, cell_h = width + 2 * border, height + 2 * border
    columns = ranked.shape[1] + 1
    sheet = Image.new("RGB", (cell_w * columns + cell_w // 2, cell_h * len(query_paths)), "white")
    draw = ImageDraw.Draw(sheet)

    def paste(path: str, column_x: int, row: int, colour: tuple[int, int, int]) -> None:
        y = row * cell_h
        draw.rectangle([column_x, y, column_x + cell_w - 1, y + cell_h - 1], fill=colour)
        with Image.open(path) as image:
            sheet.paste(image.convert("RGB").resize((width, height)), (column_x + border, y + border))

    for row, query_path in enumerate(query_paths):
        paste(query_path, 0, row, QUERY)
        for rank, (index, match) in enumerate(zip(ranked[row], matches[row])):
            paste(gallery_paths[index], cell_w // 2 + cell_w * (rank + 1), row, CORRECT if match else WRONG)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(output)
    return output
