"""The 256-pixel grid of a full frame: its cells, their digests and their mask counts."""

import hashlib
from dataclasses import dataclass

import numpy as np

from ..facts import TILE_SHAPE

Position = tuple[int, int]  # (grid row, grid column)


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
