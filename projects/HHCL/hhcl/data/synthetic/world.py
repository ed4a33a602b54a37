"""The synthetic world: who the people are and what each camera does to them.

An identity is a combination of attributes (build, skin, hair, headwear,
clothes with colours and patterns, shoes, bag). Every attribute value is
shared by many identities, and identities come in groups of look-alikes that
differ in only a few attributes, so no single attribute (and no colour alone)
tells people apart. A camera is a set-up: light level, colour cast,
saturation, blur, noise, framing, viewpoints it sees, occlusion and its own
background scene.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np

from .spec import SyntheticSpec

#: Clothing colours (RGB) and how common each is: dark and neutral colours
#: dominate, as in real street clothing, so colour alone is a weak cue.
CLOTH_COLOURS = np.array([
    (28, 28, 30), (235, 235, 232), (128, 128, 130), (70, 72, 78), (25, 32, 92), (44, 66, 184),
    (122, 168, 224), (196, 34, 36), (118, 24, 36), (40, 128, 62), (108, 118, 44), (226, 196, 48),
    (224, 118, 36), (226, 132, 168), (112, 52, 148), (116, 78, 42), (206, 186, 146),
], dtype=np.float32)
CLOTH_WEIGHTS = np.array([9, 5, 6, 6, 6, 4, 3, 3, 2, 2, 2, 2, 1.5, 1.5, 1.5, 3, 3], dtype=np.float64)
SKIN_TONES = np.array([(245, 208, 180), (225, 180, 145), (198, 146, 110), (160, 108, 76),
                       (112, 74, 50)], dtype=np.float32)
HAIR_COLOURS = np.array([(20, 18, 18), (60, 40, 28), (110, 74, 40), (210, 176, 110),
                         (160, 160, 160), (150, 60, 30)], dtype=np.float32)
HAIR_WEIGHTS = np.array([6, 5, 3, 2, 1.5, 1], dtype=np.float64)
SHOE_COLOURS = np.array([(20, 20, 20), (235, 235, 235), (100, 66, 36), (120, 120, 120),
                         (170, 40, 40)], dtype=np.float32)

HAIR_STYLES = ("short", "long", "bald")
HEADWEAR = ("none", "cap", "beanie")
TOP_PATTERNS = ("solid", "hstripes", "vstripes", "two_tone", "checks", "logo")
BOTTOMS = ("trousers", "shorts", "skirt")
BAGS = ("none", "backpack", "shoulder_bag", "handbag")
VIEWPOINTS = ("front", "back", "left", "right")

#: Groups of attributes that a look-alike re-draws to differ from its group's
#: first member.
ATTRIBUTE_SLOTS = ("body", "skin", "hair", "headwear", "top_colours", "top_pattern",
                   "sleeves", "bottom", "shoes", "bag")


@dataclasses.dataclass(frozen=True)
class Identity:
    """One person's appearance, the same in every camera."""

    height: float          # fraction of the frame height the body fills, before camera framing
    build: float           # width factor
    skin: int
    hair_colour: int
    hair_style: str
    headwear: str
    headwear_colour: int
    top_colour: int
    top_colour2: int
    top_pattern: str
    long_sleeves: bool
    bottom: str
    bottom_colour: int
    shoes: int
    bag: str
    bag_colour: int

    def key(self) -> tuple:
        """The identity's visible attributes, with continuous ones binned."""
        values = dataclasses.astuple(self)
        return (round(values[0], 2), round(values[1], 2)) + values[2:]


@dataclasses.dataclass(frozen=True)
class Camera:
    """One camera set-up; per-image jitter is added around these values."""

    gain: float                      # overall light level
    cast: tuple[float, float, float]  # per-channel colour gains
    gamma: float
    saturation: float
    blur: float                      # Gaussian blur radius in output pixels
    noise: float                     # Gaussian noise sigma in grey levels
    framing: float                   # mean fraction of the frame height the person fills
    viewpoint_probs: tuple[float, float, float, float]
    occlusion_prob: float
    scene_seed: int


def variant_code(variant: str) -> int:
    """A stable integer naming a variant, mixed into every random stream."""
    return int(hashlib.sha1(variant.encode()).hexdigest()[:8], 16)


def _draw(rng: np.random.Generator, weights: np.ndarray) -> int:
    return int(rng.choice(len(weights), p=weights / weights.sum()))


def _draw_slot(rng: np.random.Generator, slot: str) -> dict:
    """Random values for one attribute slot."""
    n_cloth = len(CLOTH_COLOURS)
    if slot == "body":
        return {"height": float(rng.uniform(0.86, 1.0)), "build": float(rng.uniform(0.82, 1.2))}
    if slot == "skin":
        return {"skin": int(rng.integers(len(SKIN_TONES)))}
    if slot == "hair":
        return {"hair_colour": _draw(rng, HAIR_WEIGHTS),
                "hair_style": HAIR_STYLES[_draw(rng, np.array([6, 4, 1.0]))]}
    if slot == "headwear":
        return {"headwear": HEADWEAR[_draw(rng, np.array([7, 2, 1.0]))],
                "headwear_colour": _draw(rng, CLOTH_WEIGHTS)}
    if slot == "top_colours":
        first = _draw(rng, CLOTH_WEIGHTS)
        second = (first + 1 + int(rng.integers(n_cloth - 1))) % n_cloth
        return {"top_colour": first, "top_colour2": second}
    if slot == "top_pattern":
        return {"top_pattern": TOP_PATTERNS[_draw(rng, np.array([5, 2, 1.5, 1.5, 1, 1.5]))]}
    if slot == "sleeves":
        return {"long_sleeves": bool(rng.random() < 0.55)}
    if slot == "bottom":
        return {"bottom": BOTTOMS[_draw(rng, np.array([7, 2, 1.5]))],
                "bottom_colour": _draw(rng, CLOTH_WEIGHTS)}
    if slot == "shoes":
        return {"shoes": int(rng.integers(len(SHOE_COLOURS)))}
    if slot == "bag":
        return {"bag": BAGS[_draw(rng, np.array([4, 3, 2, 1.5]))],
                "bag_colour": _draw(rng, CLOTH_WEIGHTS)}
    raise KeyError(slot)


def _random_identity(rng: np.random.Generator) -> Identity:
    values: dict = {}
    for slot in ATTRIBUTE_SLOTS:
        values.update(_draw_slot(rng, slot))
    return Identity(**values)


def _belongs_to(identity: Identity, variant: str) -> bool:
    """Source and target worlds take disjoint halves of the attribute space:
    an identity belongs to the variant its attribute hash selects, so no person
    of one variant can reappear in the other, whatever the seeds."""
    digest = hashlib.sha1(repr(identity.key()).encode()).digest()[0]
    return (digest & 1) == (0 if variant == "source" else 1)


def sample_identities(spec: SyntheticSpec, variant: str) -> list[Identity]:
    """Identities 1..N of a variant (train ids first, then test ids).

    People come in look-alike groups: the first member of a group is random,
    each further member re-draws ``n_changes`` attribute slots of it. Larger
    difficulty means larger groups and fewer changes.
    """
    total = spec.num_train_ids + spec.num_test_ids
    rng = np.random.default_rng([spec.seed, variant_code(variant), 1])
    group_size = 1 + int(round(4 * spec.difficulty))
    n_changes = max(1, 3 - int(round(2 * spec.difficulty)))
    identities: list[Identity] = []
    seen: set[tuple] = set()
    base: Identity | None = None
    while len(identities) < total:
        if base is None or len(identities) % group_size == 0:
            candidate = _random_identity(rng)
        else:
            values = dataclasses.asdict(base)
            for slot in rng.choice(ATTRIBUTE_SLOTS, size=n_changes, replace=False):
                values.update(_draw_slot(rng, str(slot)))
            candidate = Identity(**values)
        if candidate.key() in seen or not _belongs_to(candidate, variant):
            continue
        if base is None or len(identities) % group_size == 0:
            base = candidate
        seen.add(candidate.key())
        identities.append(candidate)
    return identities


def sample_cameras(spec: SyntheticSpec, variant: str) -> list[Camera]:
    """Camera set-ups 1..C of a variant; nuisance grows with difficulty."""
    rng = np.random.default_rng([spec.seed, variant_code(variant), 2])
    d = spec.difficulty
    cameras = []
    for index in range(spec.num_cameras):
        view_weights = rng.dirichlet(np.full(4, 1.5)) + 0.05
        cameras.append(Camera(
            gain=float(np.clip(1 + rng.normal(0, 0.3 * d + 0.05), 0.5, 1.5)),
            cast=tuple(float(1 + rng.uniform(-0.3, 0.3) * d) for _ in range(3)),
            gamma=float(np.exp(rng.normal(0, 0.25 * d))),
            saturation=float(np.clip(1 + rng.uniform(-0.6, 0.25) * d, 0.3, 1.3)),
            blur=float(rng.uniform(0.0, 1.4) * d),
            noise=float(rng.uniform(1.0, 10.0) * d),
            framing=float(rng.uniform(0.8, 0.95)),
            viewpoint_probs=tuple(float(w) for w in view_weights / view_weights.sum()),
            occlusion_prob=float(rng.uniform(0.0, 0.35) * d),
            scene_seed=int(rng.integers(2**31)),
        ))
    return cameras
