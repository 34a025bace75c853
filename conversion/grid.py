"""The 256-pixel grid of a full frame, and which cell of which frame each drone tile is, found by content.

The authors cut each frame on the grid row by row (remainder dropped) and number a tile's frame by
its 0-based position in the sorted listing of the frames, not by the number in the frame's file
name; so tiles are linked to frames by their pixels, never by their names.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np
from tqdm.auto import tqdm

from conversion import images
from conversion.archive import Archive
from conversion.constants import TILE_SHAPE

Position = tuple[int, int]  # (grid row, grid column)
_TRAILING_NUMBER = re.compile(r"(\d+)$")


@dataclass(frozen=True)
class Cell:
    frame: str  # file stem of the full frame
    position: Position


def digest(array: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(array).tobytes(), digest_size=16).digest()


def cell(array: np.ndarray, position: Position) -> np.ndarray:
    (row, col), (height, width) = position, TILE_SHAPE
    return array[row * height : (row + 1) * height, col * width : (col + 1) * width]


def grid(frame: np.ndarray) -> dict[bytes, Position]:
    """Digest of every whole 256x256 cell of the frame -> its position, row by row."""
    rows, cols = frame.shape[0] // TILE_SHAPE[0], frame.shape[1] // TILE_SHAPE[1]
    return {digest(cell(frame, (row, col))): (row, col) for row in range(rows) for col in range(cols)}


def cell_counts(mask: np.ndarray) -> np.ndarray:
    """True pixels in every whole 256x256 cell of a bool mask: (grid rows, grid columns)."""
    rows, cols = mask.shape[0] // TILE_SHAPE[0], mask.shape[1] // TILE_SHAPE[1]
    cells = mask[: rows * TILE_SHAPE[0], : cols * TILE_SHAPE[1]].reshape(rows, TILE_SHAPE[0], cols, TILE_SHAPE[1])
    return cells.sum(axis=(1, 3))


def listing_positions(frames: dict[str, str]) -> dict[str, int]:
    """Each frame's (stem -> archive path) 0-based position in the sorted listing of its file names,
    the number the authors give it (`sorted(os.listdir(folder))`)."""
    names = sorted(frames, key=lambda stem: PurePosixPath(frames[stem]).name)
    return {stem: position for position, stem in enumerate(names)}


def link_tiles(
    archive: Archive, tiles: dict[str, str], frames: dict[str, str]
) -> tuple[dict[str, Cell | None], dict[str, tuple[int, int]]]:
    """For each tile (id -> archive path), the cell of the frames (stem -> archive path) it equals, or
    None; and each frame's shape. One frame is held in memory at a time, and only digests are kept."""
    cells: dict[bytes, Cell] = {}
    shapes = {}
    for stem, path in tqdm(sorted(frames.items()), desc="link tiles to frames", unit=" frames", disable=None):
        mosaic = images.decode_frame(archive.read_bytes(path), PurePosixPath(path).suffix, archive.where(path))
        shapes[stem] = mosaic.shape
        for key, position in grid(mosaic).items():
            cells.setdefault(key, Cell(stem, position))
    links = {}
    for tile_id, path in sorted(tiles.items()):
        pixels = images.decode_raw(archive.read_bytes(path), TILE_SHAPE, archive.where(path))
        links[tile_id] = cells.get(digest(pixels))
    return links, shapes


def _file_number(stem: str) -> int | None:
    match = _TRAILING_NUMBER.search(stem)
    return int(match.group(1)) if match else None


def numbering(links: dict[str, Cell | None], positions: dict[str, int]) -> str:
    """How tile names (`NN_IIIII`) number their frames, from the tiles linked to frames (`positions`:
    each frame's position in the sorted listing)."""
    pairs = {(int(tile_id.split("_")[0]), link.frame) for tile_id, link in links.items() if link is not None}
    if not pairs:
        return "unknown: no tile is linked to a full frame"
    if all(positions[frame] == number for number, frame in pairs):
        return "the frame's 0-based position in the sorted listing of the full frames (as the authors' code)"
    if all(_file_number(frame) == number for number, frame in pairs):
        return "the number at the end of the frame's file name"
    return "neither the frames' sorted position nor the number in their file names"
