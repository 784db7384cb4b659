"""Appearance tables: skin tones, clothing and hair colours, lighting, floors and walls.

Every entry is data; a clip picks entries by name, or leaves them out and lets its seed choose.
Colours are RGB in 0-255.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SKIN_TONES: dict[str, tuple[int, int, int]] = {
    "light": (234, 196, 170),
    "fair": (222, 178, 146),
    "medium": (198, 146, 108),
    "tan": (172, 118, 84),
    "brown": (128, 86, 60),
    "dark": (88, 58, 42),
}
CLOTHING: dict[str, tuple[int, int, int]] = {
    "navy": (38, 52, 96),
    "black": (34, 34, 38),
    "charcoal": (70, 72, 78),
    "grey": (140, 142, 146),
    "white": (226, 226, 222),
    "red": (170, 40, 44),
    "maroon": (112, 34, 50),
    "teal": (30, 120, 126),
    "olive": (96, 104, 56),
    "blue": (52, 98, 170),
    "purple": (96, 64, 140),
    "orange": (214, 112, 44),
}
HAIR: dict[str, tuple[int, int, int]] = {
    "black": (26, 22, 20),
    "dark_brown": (58, 40, 28),
    "brown": (102, 70, 44),
    "blonde": (196, 164, 110),
    "grey": (150, 148, 144),
}
SHOES: dict[str, tuple[int, int, int]] = {
    "white": (220, 220, 216),
    "black": (40, 40, 42),
    "grey": (120, 120, 124),
    "barefoot": (-1, -1, -1),
}
# Face details drawn as materials on the head (RGB).
FACE_COLOURS: dict[str, tuple[int, int, int]] = {
    "eye_white": (236, 232, 226),
    "iris": (46, 34, 28),
    "brow_darken": (0, 0, 0),
    "lip_tint": (150, 70, 70),
}
BROW_MIX = 0.65
LIP_MIX = 0.35


@dataclass(frozen=True)
class Lighting:
    """A key and a fill directional light plus ambient light, with an RGB tint."""

    key_direction: tuple[float, float, float]
    key: float
    fill_direction: tuple[float, float, float]
    fill: float
    ambient: float
    tint: tuple[float, float, float]


# Directions are in the camera-relative frame (x right, y up, z towards the camera), so a preset
# lights the visible side of the body whatever the view.
LIGHTING: dict[str, Lighting] = {
    "neutral": Lighting((0.4, 0.8, 0.6), 0.62, (-0.6, 0.3, 0.7), 0.22, 0.30, (1.0, 1.0, 1.0)),
    "warm": Lighting((-0.5, 0.7, 0.6), 0.60, (0.6, 0.2, 0.6), 0.20, 0.32, (1.0, 0.93, 0.82)),
    "cool": Lighting((0.2, 0.9, 0.5), 0.58, (-0.7, 0.2, 0.6), 0.24, 0.32, (0.9, 0.96, 1.0)),
    "dim": Lighting((0.5, 0.6, 0.7), 0.48, (-0.6, 0.4, 0.6), 0.16, 0.28, (1.0, 0.97, 0.92)),
    "bright": Lighting((0.3, 0.8, 0.7), 0.66, (-0.5, 0.3, 0.8), 0.26, 0.36, (1.0, 1.0, 1.0)),
}


@dataclass(frozen=True)
class Floor:
    """A floor: planks or tiles of ``size`` metres in two alternating base colours, with grain."""

    kind: str
    size: float
    colour_a: tuple[int, int, int]
    colour_b: tuple[int, int, int]
    grain: float


FLOORS: dict[str, Floor] = {
    "oak": Floor("planks", 0.14, (176, 136, 96), (160, 120, 84), 10.0),
    "walnut": Floor("planks", 0.16, (118, 84, 60), (104, 74, 52), 8.0),
    "tiles": Floor("tiles", 0.45, (196, 192, 184), (186, 182, 174), 3.0),
    "grey_carpet": Floor("tiles", 1.0, (120, 122, 126), (116, 118, 122), 6.0),
}
WALLS: dict[str, tuple[int, int, int]] = {
    "cream": (226, 218, 198),
    "white": (232, 232, 228),
    "sage": (178, 192, 168),
    "blue_grey": (168, 180, 192),
    "sand": (210, 190, 160),
}
# An exercise mat under floor exercises (RGB), and its size in metres (length, width).
MATS: dict[str, tuple[int, int, int]] = {
    "none": (-1, -1, -1),
    "blue": (60, 100, 160),
    "purple": (110, 80, 150),
    "green": (80, 130, 90),
    "grey": (110, 112, 118),
}
MAT_SIZE = (1.83, 0.61)


@dataclass(frozen=True)
class Look:
    """Everything about how a clip looks; each field names an entry of the tables above."""

    skin: str
    hair: str
    top: str
    bottom: str
    shoes: str
    legs: str  # "shorts" or "long"
    sleeves: str  # "short" or "long"
    lighting: str
    floor: str
    wall: str
    mat: str

    @classmethod
    def choose(cls, rng: np.random.Generator, **given: str | None) -> Look:
        """A look with the ``given`` fields fixed and the rest drawn from ``rng``."""
        options = {
            "skin": list(SKIN_TONES),
            "hair": list(HAIR),
            "top": list(CLOTHING),
            "bottom": ["black", "navy", "charcoal", "grey", "blue", "olive", "maroon"],
            "shoes": ["white", "black", "grey"],
            "legs": ["shorts", "long"],
            "sleeves": ["short", "long"],
            "lighting": list(LIGHTING),
            "floor": list(FLOORS),
            "wall": list(WALLS),
            "mat": [m for m in MATS if m != "none"],
        }
        values = {}
        for key, choices in options.items():
            value = given.get(key)
            values[key] = value if value is not None else str(choices[int(rng.integers(len(choices)))])
        return cls(**values)

    def validate(self) -> list[str]:
        """Problems with this look, as messages naming the field and the valid choices."""
        tables = {
            "skin": SKIN_TONES, "hair": HAIR, "top": CLOTHING, "bottom": CLOTHING, "shoes": SHOES,
            "legs": {"shorts": 0, "long": 0}, "sleeves": {"short": 0, "long": 0},
            "lighting": LIGHTING, "floor": FLOORS, "wall": WALLS, "mat": MATS,
        }
        problems = []
        for key, table in tables.items():
            value = getattr(self, key)
            if value not in table:
                problems.append(f"{key} = {value!r}; expected one of {', '.join(table)}")
        return problems
