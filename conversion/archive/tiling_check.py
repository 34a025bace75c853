"""Check that each drone tile is a cell of its full frame's 256-pixel grid, at every intensity the
archive has both for, and that its mask is the same cell of the frame's mask."""

from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
from tqdm.auto import tqdm

from .. import images
from ..facts import TILE_SHAPE
from .conditions import REFERENCE
from .drone import DroneIndex
from .drone_full import DroneFullIndex
from .frame_links import TILE_MASKS
from .grid import cell, digest, grid
from .reader import Archive


@dataclass
class TilingReport:
    compared: int = 0  # tile captures compared with their frame (tiles x intensities)
    matched: int = 0
    masks_compared: int = 0
    masks_matched: int = 0
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)  # image_id -> (grid row, column)
    problems: list[str] = field(default_factory=list)


def check_tiling(archive: Archive, tiles: DroneIndex, frames: DroneFullIndex, progress: bool = True) -> TilingReport:
    """Compare every tile of `tiles` with the grid cells of its frame in `frames`, holding one frame in
    memory at a time. Incomplete archives are checked as far as they go (index them with allow_missing).
    """
    report = TilingReport()
    tile_files = {condition.name: condition.files for condition in tiles.conditions}
    work = [(condition, frame) for condition in frames.conditions for frame in frames.frames.values()]
    for condition, frame in tqdm(work, desc="check tiling", unit=" frames", disable=None if progress else True):
        if frame.image_id not in condition.files:
            continue
        path = condition.files[frame.image_id]
        mosaic = images.decode_frame(archive.read_bytes(path), PurePosixPath(path).suffix, archive.where(path))
        cells = grid(mosaic)
        same_frame = [tile for tile in tiles.tiles.values() if tile.frame == frame.image_id]
        for tile in same_frame:
            tile_path = tile_files.get(condition.name, {}).get(tile.image_id)
            if tile_path is None:
                continue
            report.compared += 1
            pixels = images.decode_raw(archive.read_bytes(tile_path), TILE_SHAPE, archive.where(tile_path))
            position = cells.get(digest(pixels))
            if position is None:
                report.problems.append(f"{archive.where(tile_path)}: equals no 256-grid cell of {archive.where(path)}")
            elif report.positions.setdefault(tile.image_id, position) != position:
                report.problems.append(
                    f"{archive.where(tile_path)}: is grid cell {position} of {archive.where(path)}, "
                    f"but cell {report.positions[tile.image_id]} at another intensity"
                )
            else:
                report.matched += 1
        if condition.name == REFERENCE:
            frame_mask = images.decode_mask(archive.read_bytes(frame.mask), mosaic.shape, archive.where(frame.mask))
            for tile in same_frame:
                if tile.image_id in report.positions:
                    report.masks_compared += 1
                    tile_mask = images.decode_mask(tile.mask, TILE_SHAPE, tile.image_id)
                    if np.array_equal(tile_mask, cell(frame_mask, report.positions[tile.image_id])):
                        report.masks_matched += 1
                    else:
                        report.problems.append(
                            f"{TILE_MASKS}/{tile.image_id}: differs from its cell of {archive.where(frame.mask)}"
                        )
    return report
