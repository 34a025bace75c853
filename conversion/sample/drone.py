"""The drone part of the synthetic sample archive: aerial frames with cars, their masks, and tiles
really cut from them on the 256 grid (so a tiling check has something true to find)."""

from collections.abc import Callable, Iterator

import numpy as np
from tqdm.auto import tqdm

from ..errors import InvalidArgumentError
from ..facts import CAMERA, FULL_INTENSITY, INTENSITIES, TILE_SHAPE
from ..images import encode_png
from ..naming import intensity_folder
from .imagery import (
    bayer_sample,
    dng_bytes,
    float_tiff_bytes,
    processed_views,
    smooth_noise,
    tiff_bytes,
    view_bytes,
)

FULL_FRAME_SHAPE = (3648, 5472)  # the real frames: a 14 x 21 grid of tiles, with a remainder
SMALL_FRAME_SHAPE = (640, 896)  # the default: a 2 x 3 grid, with a remainder like the real frames
MIN_FRAMES = 2  # a split by frame needs two
FRAME_FORMATS = ("dng", "tiff")
LEFT_JUSTIFY = 4  # 12-bit sensor values stored in the top 12 bits of 16
WHITE_LEVEL = 4095  # of the 12-bit values
BLACK_LEVEL = round(min(CAMERA["drone"]["black_level"]) * 65535) >> LEFT_JUSTIFY  # 4096 DN in 16 bits
CAR_SHAPE = (30, 75)  # a 4.5 x 1.8 m car at 6 cm per pixel
CAR_END = 20  # pixels of a car reaching into a cell from its edge: 600 pixels, under 1 % of the cell
# The real frames: 465 cells more than 1 % car (the classification set's car class), 83 more with a car's end.
CAR_CELL_SHARE = 465 / (12 * 294)
CAR_END_SHARE = 83 / 465  # cells with a car's end per car cell
# Car cells of the small frames in turn: fewer than, more than, and as many as the empty cells plus one,
# so the classification rule cuts either class.
SMALL_FRAME_CAR_CELLS = (2, 4, 3)


def tile_name(frame: int, tile: int) -> str:
    return f"{frame:02d}_{tile:05d}"


def frame_name(frame: int) -> str:
    return f"DJI_{frame:04d}"


def _car_cells(shape: tuple[int, int], frame: int) -> tuple[int, int]:
    """(cells with cars, cells with a car's end only) of a frame: the real shares on full-size frames."""
    cells = (shape[0] // TILE_SHAPE[0]) * (shape[1] // TILE_SHAPE[1])
    cars = round(CAR_CELL_SHARE * cells) if shape == FULL_FRAME_SHAPE else SMALL_FRAME_CAR_CELLS[frame % 3]
    cars = min(cars, cells - 2)  # room for a car's end and an empty cell
    return cars, max(1, round(CAR_END_SHARE * cars))


def _scene(shape: tuple[int, int], frame: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """RGB in [0, 1] of textured fields and a road seen from 250 m, and the car mask; cars (body with a
    darker windscreen and rear window) fill some grid cells, and in a few others only the end of a car
    reaches in from the left edge (under 1 % of the cell: the classification rule drops such cells)."""
    y, x = np.mgrid[: shape[0], : shape[1]].astype(np.float32)
    fields = 0.35 + 0.1 * np.sin(x / rng.uniform(40, 90)) * np.cos(y / rng.uniform(40, 90))
    fields *= 0.8 + 0.25 * smooth_noise(rng, shape, 24) + 0.15 * smooth_noise(rng, shape, 3)
    rgb = np.stack([fields * 0.8, fields, fields * 0.6], axis=-1)
    del fields
    road = np.abs(y - rng.uniform(0.3, 0.7) * shape[0] - 0.2 * (x - shape[1] / 2)) < 40
    rgb[road] = (0.42 + 0.06 * smooth_noise(rng, shape, 4)[road])[:, None]
    del y, x, road
    mask = np.zeros(shape, bool)
    cols = shape[1] // TILE_SHAPE[1]
    cars, ends = _car_cells(shape, frame)
    cells = rng.permutation((shape[0] // TILE_SHAPE[0]) * cols)
    for cell in cells[cars : cars + ends]:
        top, left = (cell // cols) * TILE_SHAPE[0], (cell % cols) * TILE_SHAPE[1]
        row = top + rng.integers(0, TILE_SHAPE[0] - CAR_SHAPE[0])
        car_end = np.s_[row : row + CAR_SHAPE[0], left : left + CAR_END]
        mask[car_end] = True
        rgb[car_end] = rng.uniform(0.05, 0.95, size=3)
    for cell in cells[:cars]:
        top, left = (cell // cols) * TILE_SHAPE[0], (cell % cols) * TILE_SHAPE[1]
        for _ in range(rng.integers(1, 4)):
            along = rng.random() < 0.5  # the car's long side along x
            height, width = CAR_SHAPE if along else CAR_SHAPE[::-1]
            cy = top + rng.integers(0, TILE_SHAPE[0] - height)
            cx = left + rng.integers(0, TILE_SHAPE[1] - width)
            car = np.s_[cy : cy + height, cx : cx + width]
            mask[car] = True
            rgb[car] = rng.uniform(0.05, 0.95, size=3)
            body = CAR_SHAPE[1]
            for start, end in ((0.2, 0.35), (0.75, 0.85)):  # windscreen and rear window, along the body
                band = slice(round(start * body), round(end * body))
                window = (
                    np.s_[cy : cy + height, cx + band.start : cx + band.stop]
                    if along
                    else np.s_[cy + band.start : cy + band.stop, cx : cx + width]
                )
                rgb[window] = 0.08
    return rgb, mask


def _captures(rgb: np.ndarray, rng: np.random.Generator) -> dict[float, np.ndarray]:
    """12-bit captures at every intensity, left-justified to 16 bits (multiples of 16): the black level
    plus the signal scaled by the intensity, with noise; no value below the black level."""
    signal = bayer_sample(rgb) * (WHITE_LEVEL - BLACK_LEVEL)
    captures = {}
    for intensity in INTENSITIES:
        scaled = signal * intensity
        noise = rng.normal(0, 1, scaled.shape).astype(np.float32) * np.sqrt(scaled / 8 + 2)
        values = np.clip(np.rint(BLACK_LEVEL + scaled + noise), BLACK_LEVEL, WHITE_LEVEL).astype(np.uint16)
        captures[intensity] = values << LEFT_JUSTIFY
    return captures


def _mask_png(mask: np.ndarray) -> bytes:
    """Masks as the archive has them: 8-bit grayscale, 0 and 255."""
    return encode_png(mask.astype(np.uint8) * 255)


def _tile_files(authors_format: bool) -> tuple[Callable[[np.ndarray], bytes], Callable[[np.ndarray], bytes]]:
    """How tiles and tile masks are written: as the archive has them, or as the authors' code writes
    them (float32 mode-F TIFF tiles holding the integral values, 1-bit masks)."""
    if authors_format:
        return float_tiff_bytes, encode_png
    return tiff_bytes, _mask_png


def drone_files(
    frames: int,
    seed: int,
    view_dtype: str,
    full_size: bool = False,
    frame_format: str = "dng",
    authors_format: bool = False,
) -> Iterator[tuple[str, bytes]]:
    """(relative path, bytes) of every drone file, frame by frame, deterministic; arguments checked now.

    `authors_format` writes tiles and tile masks as the authors' code does; their values are the same.
    """
    if frames < MIN_FRAMES:
        raise InvalidArgumentError(f"--frames must be at least {MIN_FRAMES} for a split by frame, got {frames}")
    if frame_format not in FRAME_FORMATS:
        raise InvalidArgumentError(f"--frame-format must be one of {FRAME_FORMATS}, got {frame_format!r}")
    shape = FULL_FRAME_SHAPE if full_size else SMALL_FRAME_SHAPE
    return _frame_files(frames, seed, view_dtype, shape, frame_format, _tile_files(authors_format))


def _frame_files(
    frames: int,
    seed: int,
    view_dtype: str,
    shape: tuple[int, int],
    frame_format: str,
    writers: tuple[Callable[[np.ndarray], bytes], Callable[[np.ndarray], bytes]],
) -> Iterator[tuple[str, bytes]]:
    tile_bytes, tile_mask_bytes = writers
    for frame in tqdm(range(1, frames + 1), desc="sample drone", unit=" frames", disable=None):
        rng = np.random.default_rng([seed, 1_000_000 + frame])
        rgb, mask = _scene(shape, frame, rng)
        captures = _captures(rgb, rng)
        del rgb
        name = frame_name(frame)
        for intensity, mosaic in captures.items():
            data = dng_bytes(mosaic) if frame_format == "dng" else tiff_bytes(mosaic)
            yield f"drone/images_full/{intensity_folder(intensity)}/{name}.{frame_format}", data
        yield f"drone/masks_full/{name}.png", _mask_png(mask)
        kept = 0
        for top in range(0, shape[0] - TILE_SHAPE[0] + 1, TILE_SHAPE[0]):
            for left in range(0, shape[1] - TILE_SHAPE[1] + 1, TILE_SHAPE[1]):
                cell = np.s_[top : top + TILE_SHAPE[0], left : left + TILE_SHAPE[1]]
                if not mask[cell].any():
                    continue
                tile = tile_name(frame - 1, kept)  # frames numbered by sorted position from 0, as the authors do
                kept += 1
                for intensity, mosaic in captures.items():
                    yield f"drone/images_tiles_256/{intensity_folder(intensity)}/{tile}.tif", tile_bytes(mosaic[cell])
                for folder, pixels in processed_views(captures[FULL_INTENSITY][cell], "drone", view_dtype):
                    suffix = "png" if view_dtype == "uint8" else "tif"
                    yield f"drone/images_tiles_256/processed_views/{folder}/{tile}.{suffix}", view_bytes(pixels)
                yield f"drone/masks_tiles_256/{tile}.png", tile_mask_bytes(mask[cell])
