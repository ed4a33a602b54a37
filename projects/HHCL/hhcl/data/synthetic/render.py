"""Drawing one image of a synthetic person as seen by one camera.

The person is drawn with PIL at twice the output resolution over a crop of
the camera's background scene, then box-downsampled (anti-aliasing), blurred,
re-lit, colour-cast, desaturated and noised the camera's way.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .world import (CLOTH_COLOURS, HAIR_COLOURS, SHOE_COLOURS, SKIN_TONES, VIEWPOINTS, Camera,
                    Identity)

_SUPERSAMPLE = 2


def _muted(rng: np.random.Generator, low: float, high: float) -> tuple[int, int, int]:
    """A random, mostly greyish scene colour (walls and objects are dull)."""
    colour = rng.uniform(low, high, 3)
    return tuple(int(v) for v in colour.mean() + 0.45 * (colour - colour.mean()))


@functools.lru_cache(maxsize=16)
def camera_scene(scene_seed: int, height: int, width: int) -> np.ndarray:
    """The background a camera looks at (uint8, 1.25·height × 4·width × 3):
    a wall with windows, doors, posters and poles over a tiled floor."""
    rng = np.random.default_rng(scene_seed)
    scene_h, scene_w = int(height * 1.25), width * 4
    wall = np.array(_muted(rng, 60, 200), dtype=np.float32)
    floor = np.array(_muted(rng, 50, 170), dtype=np.float32)
    horizon = int(scene_h * rng.uniform(0.55, 0.8))
    rows = np.linspace(0.0, 1.0, scene_h, dtype=np.float32)[:, None]
    wall_part = wall[None, :] * (0.85 + 0.3 * rows)
    floor_part = floor[None, :] * (0.75 + 0.25 * rows)
    column = np.where(np.arange(scene_h)[:, None] < horizon, wall_part, floor_part)
    image = Image.fromarray(np.repeat(column[:, None, :], scene_w, axis=1).clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.integers(6, 14)):
        x0 = rng.integers(0, scene_w)
        y0 = rng.integers(0, max(1, horizon - 10))
        w = rng.integers(width // 6, width)
        h = rng.integers(height // 10, max(height // 10 + 1, horizon - y0))
        draw.rectangle([x0, y0, x0 + w, y0 + h], fill=_muted(rng, 20, 240))
    for _ in range(rng.integers(1, 5)):
        x0 = rng.integers(0, scene_w)
        draw.rectangle([x0, 0, x0 + rng.integers(3, width // 8), scene_h],
                       fill=_muted(rng, 30, 200))
    tile = int(rng.integers(width // 4, width))
    for x in range(0, scene_w, tile):
        draw.line([x, horizon, x - (scene_w // 2 - x) // 3, scene_h],
                  fill=tuple(int(c * 0.8) for c in floor), width=2)
    return np.asarray(image)


def _rgb(colour: np.ndarray, rng: np.random.Generator, spread: float = 6.0) -> tuple[int, int, int]:
    """A colour with a little per-image fabric/shading variation."""
    return tuple(int(v) for v in np.clip(colour + rng.normal(0, spread, 3), 0, 255))


class _Figure:
    """Geometry of one drawn person, in pixels of the supersampled canvas."""

    def __init__(self, draw: ImageDraw.ImageDraw, cx: float, top: float, height: float,
                 build: float, side: bool):
        self.draw, self.cx, self.top, self.p = draw, cx, top, height
        self.torso_half = (0.085 if side else 0.135) * build * height

    def y(self, fraction: float) -> float:
        return self.top + fraction * self.p

    def box(self, x0: float, f0: float, x1: float, f1: float, colour, radius: float = 0.0) -> None:
        rect = [min(x0, x1), self.y(f0), max(x0, x1), self.y(f1)]
        if radius > 0:
            self.draw.rounded_rectangle(rect, radius=radius * self.p, fill=colour)
        else:
            self.draw.rectangle(rect, fill=colour)


def _draw_top_pattern(fig: _Figure, person: Identity, view: str, colour2, x0: float, x1: float) -> None:
    f0, f1 = 0.16, 0.5
    step = 0.035
    pattern = person.top_pattern
    if pattern == "hstripes":
        for k, f in enumerate(np.arange(f0, f1, step)):
            if k % 2:
                fig.box(x0, f, x1, min(f + step, f1), colour2)
    elif pattern == "vstripes":
        width = step * fig.p
        for k, x in enumerate(np.arange(x0, x1, width)):
            if k % 2:
                fig.box(x, f0, min(x + width, x1), f1, colour2)
    elif pattern == "two_tone":
        fig.box(x0, 0.34, x1, f1, colour2)
    elif pattern == "checks":
        cell = 0.05
        for i, f in enumerate(np.arange(f0, f1, cell)):
            for j, x in enumerate(np.arange(x0, x1, cell * fig.p)):
                if (i + j) % 2:
                    fig.box(x, f, min(x + cell * fig.p, x1), min(f + cell, f1), colour2)
    elif pattern == "logo" and view == "front":
        fig.box(fig.cx - 0.05 * fig.p, 0.22, fig.cx + 0.05 * fig.p, 0.31, colour2)


def _draw_person(draw: ImageDraw.ImageDraw, person: Identity, view: str, cx: float, top: float,
                 height: float, stride: float, rng: np.random.Generator) -> None:
    """Draw ``person`` facing ``view`` ('front', 'back' or 'right')."""
    side = view == "right"
    fig = _Figure(draw, cx, top, height, person.build, side)
    p, half = fig.p, fig.torso_half
    skin = _rgb(SKIN_TONES[person.skin], rng, 4)
    hair = _rgb(HAIR_COLOURS[person.hair_colour], rng, 4)
    top_colour = _rgb(CLOTH_COLOURS[person.top_colour], rng)
    colour2 = _rgb(CLOTH_COLOURS[person.top_colour2], rng)
    bottom = _rgb(CLOTH_COLOURS[person.bottom_colour], rng)
    shoes = _rgb(SHOE_COLOURS[person.shoes], rng)
    bag = _rgb(CLOTH_COLOURS[person.bag_colour], rng)
    headwear = _rgb(CLOTH_COLOURS[person.headwear_colour], rng)

    # Bag behind the body (backpack seen from the side; long hair from the back comes later).
    if side and person.bag == "backpack":
        fig.box(cx - half - 0.09 * p, 0.18, cx - half + 0.01 * p, 0.42, bag, radius=0.02)

    # Legs and shoes.
    leg_half = 0.05 * person.build * p
    skin_legs_from = {"trousers": 2.0, "shorts": 0.66, "skirt": 0.70}[person.bottom]
    if side:
        legs = [(cx, cx + stride * 0.14 * p), (cx, cx - stride * 0.14 * p)]
    else:
        gap = 0.012 * p
        legs = [(cx - gap - leg_half, cx - gap - leg_half + stride * 0.02 * p),
                (cx + gap + leg_half, cx + gap + leg_half - stride * 0.02 * p)]
    for hip_x, foot_x in legs:
        knee_f = min(skin_legs_from, 0.955)
        knee_x = hip_x + (foot_x - hip_x) * (knee_f - 0.5) / 0.455
        draw.polygon([(hip_x - leg_half, fig.y(0.5)), (hip_x + leg_half, fig.y(0.5)),
                      (knee_x + leg_half, fig.y(knee_f)), (knee_x - leg_half, fig.y(knee_f))],
                     fill=bottom)
        if knee_f < 0.955:
            draw.polygon([(knee_x - leg_half * 0.8, fig.y(knee_f)), (knee_x + leg_half * 0.8, fig.y(knee_f)),
                          (foot_x + leg_half * 0.8, fig.y(0.955)), (foot_x - leg_half * 0.8, fig.y(0.955))],
                         fill=skin)
        toe = 0.06 * p if side else 0.0
        fig.box(foot_x - leg_half - (0.01 * p if side else 0), 0.95, foot_x + leg_half + toe, 0.99,
                shoes, radius=0.01)
    if person.bottom == "skirt":
        draw.polygon([(cx - half * 0.9, fig.y(0.48)), (cx + half * 0.9, fig.y(0.48)),
                      (cx + half * 1.3, fig.y(0.70)), (cx - half * 1.3, fig.y(0.70))], fill=bottom)
    else:
        fig.box(cx - half * 0.9, 0.48, cx + half * 0.9, 0.56, bottom)

    # Neck, torso and its pattern.
    fig.box(cx - 0.025 * p, 0.12, cx + 0.025 * p, 0.17, skin)
    fig.box(cx - half, 0.15, cx + half, 0.5, top_colour, radius=0.035)
    _draw_top_pattern(fig, person, view, colour2, cx - half, cx + half)

    # Arms: both at the sides from the front and back, one swinging from the side.
    sleeve_end = 0.47 if person.long_sleeves else 0.25
    arm_half = 0.032 * p
    arms = [cx + 0.3 * stride * 0.1 * p] if side else [cx - half - arm_half, cx + half + arm_half]
    for arm_x in arms:
        hand_x = arm_x + (stride * 0.1 * p if side else 0.0)
        draw.polygon([(arm_x - arm_half, fig.y(0.16)), (arm_x + arm_half, fig.y(0.16)),
                      (hand_x + arm_half, fig.y(0.47)), (hand_x - arm_half, fig.y(0.47))], fill=skin)
        sleeve_x = arm_x + (hand_x - arm_x) * (sleeve_end - 0.16) / 0.31
        draw.polygon([(arm_x - arm_half, fig.y(0.155)), (arm_x + arm_half, fig.y(0.155)),
                      (sleeve_x + arm_half, fig.y(sleeve_end)), (sleeve_x - arm_half, fig.y(sleeve_end))],
                     fill=top_colour)
        draw.ellipse([hand_x - arm_half, fig.y(0.46), hand_x + arm_half, fig.y(0.51)], fill=skin)

    # Bags in front of the body.
    if person.bag == "backpack" and view == "back":
        fig.box(cx - half * 0.75, 0.18, cx + half * 0.75, 0.43, bag, radius=0.03)
    elif person.bag == "backpack" and view == "front":
        for x in (cx - half * 0.6, cx + half * 0.6):
            fig.box(x - 0.012 * p, 0.15, x + 0.012 * p, 0.36, bag)
    elif person.bag == "shoulder_bag":
        sign = 1 if view != "back" else -1
        draw.line([(cx - sign * half, fig.y(0.16)), (cx + sign * half, fig.y(0.45))], fill=bag,
                  width=max(1, int(0.015 * p)))
        x = cx + sign * (half if not side else 0.0)
        fig.box(x - 0.06 * p, 0.42, x + 0.06 * p, 0.53, bag, radius=0.015)
    elif person.bag == "handbag":
        x = (arms[0] + stride * 0.1 * p) if side else cx + half + arm_half
        fig.box(x - 0.04 * p, 0.49, x + 0.04 * p, 0.6, bag, radius=0.01)

    # Head, hair, face and headwear.
    r = 0.065 * p
    head_y = fig.y(0.075)
    head_x = cx + (0.01 * p if side else 0.0)
    if person.hair_style == "long" and view != "front":
        fig.box(head_x - r * (1.0 if not side else 1.1), 0.06, head_x + r * (1.0 if not side else 0.2),
                0.25 if view == "back" else 0.2, hair)
    back_of_head = view == "back" and person.hair_style != "bald"
    draw.ellipse([head_x - r, head_y - r, head_x + r, head_y + r], fill=hair if back_of_head else skin)
    if person.hair_style != "bald" and not back_of_head:
        start, end = (180, 360) if not side else (160, 330)
        draw.pieslice([head_x - r * 1.08, head_y - r * 1.1, head_x + r * 1.08, head_y + r * 1.05],
                      start, end, fill=hair)
        if person.hair_style == "long" and view == "front":
            for x in (head_x - r * 1.05, head_x + r * 0.75):
                draw.rectangle([x, head_y - r * 0.3, x + r * 0.3, fig.y(0.2)], fill=hair)
    if view == "front":
        for dx in (-0.35 * r, 0.35 * r):
            draw.ellipse([head_x + dx - 0.1 * r, head_y - 0.05 * r, head_x + dx + 0.1 * r, head_y + 0.15 * r],
                         fill=(30, 25, 25))
    elif side:
        draw.ellipse([head_x + 0.45 * r, head_y - 0.05 * r, head_x + 0.65 * r, head_y + 0.15 * r],
                     fill=(30, 25, 25))
    if person.headwear != "none":
        lift = 1.25 if person.headwear == "beanie" else 1.12
        draw.pieslice([head_x - r * 1.1, head_y - r * lift, head_x + r * 1.1, head_y + r * 0.9],
                      180, 360, fill=headwear)
        if person.headwear == "cap" and view != "back":
            brim = (head_x - r * 0.9, head_x + r * 0.9) if not side else (head_x, head_x + r * 1.7)
            draw.rectangle([brim[0], head_y - r * 0.12, brim[1], head_y + r * 0.05], fill=headwear)


def render_image(person: Identity, camera: Camera, difficulty: float, image_size: tuple[int, int],
                 rng: np.random.Generator) -> np.ndarray:
    """One uint8 image (height × width × 3) of ``person`` through ``camera``."""
    height, width = image_size
    big_h, big_w = height * _SUPERSAMPLE, width * _SUPERSAMPLE
    scene = camera_scene(camera.scene_seed, big_h, big_w)
    y0 = int(rng.integers(0, scene.shape[0] - big_h + 1))
    x0 = int(rng.integers(0, scene.shape[1] - big_w + 1))
    canvas = Image.fromarray(scene[y0:y0 + big_h, x0:x0 + big_w])
    draw = ImageDraw.Draw(canvas)

    jitter = 0.5 + difficulty
    view = VIEWPOINTS[int(rng.choice(4, p=camera.viewpoint_probs))]
    person_h = big_h * camera.framing * person.height * float(np.exp(rng.normal(0, 0.05 * jitter)))
    cx = big_w / 2 + rng.normal(0, 0.05 * big_w * jitter)
    feet = (big_h + person_h) / 2 + rng.normal(0, 0.03 * big_h * jitter)
    stride = float(rng.uniform(-1, 1))
    _draw_person(draw, person, "right" if view in ("left", "right") else view, cx, feet - person_h,
                 person_h, stride, rng)

    if rng.random() < camera.occlusion_prob:
        colour = _muted(rng, 20, 230)
        if rng.random() < 0.5:
            draw.rectangle([0, big_h * rng.uniform(0.6, 0.85), big_w, big_h], fill=colour)
        else:
            edge = big_w * rng.uniform(0.15, 0.35)
            box = [0, 0, edge, big_h] if rng.random() < 0.5 else [big_w - edge, 0, big_w, big_h]
            draw.rectangle(box, fill=colour)
    if view == "left":
        canvas = canvas.transpose(Image.Transpose.FLIP_LEFT_RIGHT)

    image = canvas.resize((width, height), Image.Resampling.BOX)
    blur = camera.blur * float(rng.uniform(0.6, 1.4))
    if blur > 0.05:
        image = image.filter(ImageFilter.GaussianBlur(blur))

    pixels = np.asarray(image, dtype=np.float32)
    grey = pixels.mean(axis=2, keepdims=True)
    pixels = grey + camera.saturation * (pixels - grey)
    gain = camera.gain * float(np.exp(rng.normal(0, 0.08 * jitter)))
    cast = np.asarray(camera.cast, dtype=np.float32) * (1 + rng.normal(0, 0.03 * difficulty, 3))
    pixels = np.clip(pixels * (gain * cast).astype(np.float32), 0, 255)
    pixels = 255.0 * (pixels / 255.0) ** camera.gamma
    if camera.noise > 0:
        pixels += rng.normal(0, camera.noise, pixels.shape).astype(np.float32)
    return np.clip(pixels + 0.5, 0, 255).astype(np.uint8)
