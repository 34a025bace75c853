"""The microscopy part of the synthetic sample archive: labelled cell images at every intensity and view."""

import math
from collections.abc import Iterator

import numpy as np
from tqdm.auto import tqdm

from ..errors import InvalidArgumentError
from ..facts import (
    AUTHORS_EXCLUDED_IMAGES,
    AUTHORS_MIN_CLASS_SIZE,
    INTENSITIES,
    MICROSCOPY_CLASS_COUNTS,
    MICROSCOPY_LABEL_FILE,
    TILE_SHAPE,
)
from ..features import VIEW_DTYPES
from ..naming import intensity_folder
from .imagery import bayer_sample, processed_views, smooth_noise, tiff_bytes, to_uint16, view_bytes

MIN_MICROSCOPY_IMAGES = len(MICROSCOPY_CLASS_COUNTS) * AUTHORS_MIN_CLASS_SIZE  # every class one the authors keep
# Full-intensity DN per unit of transmitted light, and the stain's relative optical density, per RGB
# channel: they give the authors' raw channel means [0.566, 0.140, 0.073] and stds [0.097, 0.042,
# 0.008] of full scale (`reference/authors-code.md`, their `train.py` normalisation).
# Lines a real label file may hold that the authors' loader drops: an allow-listed code with too few
# lines, and a code outside their allow-list (debris, which the data page names). Added to `images`.
DROPPED_CODES = {"MYB": 2, "DEB": 1}
DROPPED_IMAGES = sum(DROPPED_CODES.values())
CHANNEL_SCALE = np.array([50_930, 13_350, 6_410], np.float32)
STAIN_DENSITY = np.array([1.9, 5.8, 0.95], np.float32)


def class_counts(images: int) -> dict[str, int]:
    """Images per class: the published shares scaled to `images`, at least AUTHORS_MIN_CLASS_SIZE per
    class (so the authors' rule keeps every published class)."""
    total = sum(MICROSCOPY_CLASS_COUNTS.values())
    share = {code: count * images / total for code, count in MICROSCOPY_CLASS_COUNTS.items()}
    counts = {code: max(AUTHORS_MIN_CLASS_SIZE, math.floor(value)) for code, value in share.items()}
    while (excess := sum(counts.values()) - images) != 0:
        if excess < 0:
            code = max(counts, key=lambda c: (share[c] - counts[c], c))
            counts[code] += 1
        else:
            above = (c for c in counts if counts[c] > AUTHORS_MIN_CLASS_SIZE)
            code = max(above, key=lambda c: (counts[c] - share[c], c))
            counts[code] -= 1
    return counts


def image_names(images: int, rng: np.random.Generator) -> list[str]:
    """Real-looking, distinct image names; the image the authors excluded comes first."""
    grid = [
        f"Ma190c_lame{s}_zone{z}_composite_Mcropped_{k}" for s in range(1, 5) for z in range(1, 41) for k in range(1, 7)
    ]
    others = [name for name in grid if name not in AUTHORS_EXCLUDED_IMAGES]
    chosen = rng.choice(len(others), size=images - 1, replace=False)
    return [AUTHORS_EXCLUDED_IMAGES[0], *(others[i] for i in sorted(chosen))]


def _blob(y: np.ndarray, x: np.ndarray, centre: np.ndarray, radius: float, squash: float = 1.0) -> np.ndarray:
    """A soft disc (1 inside, 0 outside, a 2-pixel edge)."""
    return 1 / (1 + np.exp((np.hypot((y - centre[0]) * squash, x - centre[1]) - radius) / 2))


def _cell_rgb(rng: np.random.Generator) -> np.ndarray:
    """Bright-field blood smear look: a slightly mottled bright background and a stained leukocyte with
    granular cytoplasm and a lobed, textured nucleus; transmitted light per RGB channel in [0, 1]."""
    y, x = np.mgrid[: TILE_SHAPE[0], : TILE_SHAPE[1]].astype(np.float32)
    centre, radius = rng.uniform(96, 160, size=2), rng.uniform(40, 70)
    cell = _blob(y, x, centre, radius)
    lobes = [_blob(y, x, centre + rng.uniform(-18, 18, size=2), radius * rng.uniform(0.3, 0.45), rng.uniform(0.7, 1.3))
             for _ in range(rng.integers(1, 4))]  # fmt: skip
    nucleus = np.max(lobes, axis=0)
    granules = smooth_noise(rng, TILE_SHAPE, 6)
    chromatin = smooth_noise(rng, TILE_SHAPE, 12)
    mottle = smooth_noise(rng, TILE_SHAPE, 32)
    background = (0.85 - 0.1 * ((y - 128) ** 2 + (x - 128) ** 2) / 128**2) * (0.97 + 0.06 * mottle)
    absorb_cell, absorb_nucleus = rng.uniform(0.1, 0.3, size=3), rng.uniform(0.3, 0.6, size=3)
    cytoplasm = (cell * (0.6 + 0.8 * granules))[..., None] * absorb_cell
    stained = (nucleus * (0.75 + 0.5 * chromatin))[..., None] * absorb_nucleus
    transmitted = (1 - np.clip(cytoplasm, 0, 0.95)) * (1 - np.clip(stained, 0, 0.95))
    return (background[..., None] * transmitted**STAIN_DENSITY).astype(np.float32)


def _raw_captures(rgb: np.ndarray, rng: np.random.Generator) -> dict[float, np.ndarray]:
    """The full-intensity mosaic and its lower-intensity captures (scaled, with read and shot noise)."""
    signal = bayer_sample(rgb * CHANNEL_SCALE)
    captures = {}
    for intensity in INTENSITIES:
        scaled = signal * intensity
        noise = rng.normal(0, 1, scaled.shape) * np.sqrt(scaled / 20 + 4)
        captures[intensity] = to_uint16(scaled + noise)
    return captures


def microscopy_files(images: int, seed: int, view_dtype: str) -> Iterator[tuple[str, bytes]]:
    """(relative path, bytes) of every microscopy file, image by image, deterministic; arguments checked now."""
    if images < MIN_MICROSCOPY_IMAGES:
        raise InvalidArgumentError(
            f"--images must be at least {MIN_MICROSCOPY_IMAGES} for a stratified split, got {images}"
        )
    if view_dtype not in VIEW_DTYPES:
        raise InvalidArgumentError(f"--view-dtype must be one of {VIEW_DTYPES}, got {view_dtype!r}")
    return _image_files(images, seed, view_dtype)


def _image_files(images: int, seed: int, view_dtype: str) -> Iterator[tuple[str, bytes]]:
    rng = np.random.default_rng(seed)
    names = image_names(images + DROPPED_IMAGES, rng)
    counts = class_counts(images) | DROPPED_CODES
    labels = [code for code, count in counts.items() for _ in range(count)]
    rng.shuffle(labels)
    lines = "".join(f"{name} {code}\n" for name, code in sorted(zip(names, labels, strict=True)))
    yield f"microscopy/labels/{MICROSCOPY_LABEL_FILE}", lines.encode()
    for number, name in enumerate(tqdm(names, desc="sample microscopy", unit=" images", disable=None)):
        image_rng = np.random.default_rng([seed, number])
        captures = _raw_captures(_cell_rgb(image_rng), image_rng)
        for intensity, mosaic in captures.items():
            yield f"microscopy/images/{intensity_folder(intensity)}/{name}.tiff", tiff_bytes(mosaic)
        for folder, pixels in processed_views(captures[1.0], "microscopy", view_dtype):
            suffix = "png" if view_dtype == "uint8" else "tiff"
            yield f"microscopy/images/processed_views/{folder}/{name}.{suffix}", view_bytes(pixels)
