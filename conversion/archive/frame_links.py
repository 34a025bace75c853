"""Which cell of which full frame each drone tile is, found by content, and the drone folders they are read from.

The authors cut each frame on the 256-pixel grid row by row (remainder dropped) and number a tile's frame by
its 0-based position in the sorted listing of the frames, not by the number in the frame's file name; so
tiles are linked to frames by their pixels, never by their names.
"""

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath

from tqdm.auto import tqdm

from .. import images
from ..errors import ArchiveLayoutError
from ..facts import TILE_SHAPE
from .conditions import REFERENCE, TIFF_SUFFIXES, Problems, scan_conditions
from .grid import Cell, digest, grid
from .reader import Archive
from .splits import frame_split

TILES = "drone/images_tiles_256"
TILE_MASKS = "drone/masks_tiles_256"
FRAMES = "drone/images_full"
FRAME_MASKS = "drone/masks_full"
MASK_SUFFIXES = (".png",)
FRAME_SUFFIXES = (".tif", ".tiff", ".dng")
_TILE_NAME = re.compile(r"(\d+)_(\d+)")
_TRAILING_NUMBER = re.compile(r"(\d+)$")


def tile_frame(image_id: str, where: str) -> int:
    match = _TILE_NAME.fullmatch(image_id)
    if match is None:
        raise ArchiveLayoutError(f"{where}: tile name is not NN_IIIII (frame number, tile number)")
    return int(match.group(1))


@dataclass(frozen=True)
class FrameLinks:
    cells: dict[str, Cell | None]  # tile id -> the cell of a full frame it equals, at full intensity
    positions: dict[str, int]  # frame stem -> its position in the sorted listing, the authors' number
    shapes: dict[str, tuple[int, int]]  # frame stem -> (height, width)
    complete: bool = True  # False when a frame or tile did not decode: links that are not there prove nothing


def frame_links(archive: Archive) -> FrameLinks:
    """Which cell of which full frame each tile of `raw_scale100` is; empty without full frames. Computed once
    per open archive: the drone configs' indexes share it."""
    return archive.derived("frame_links", lambda: _link(archive))


def _link(archive: Archive) -> FrameLinks:
    tiles = scan_conditions(archive, TILES, TIFF_SUFFIXES).get(REFERENCE)
    frames = scan_conditions(archive, FRAMES, FRAME_SUFFIXES, with_views=False).get(REFERENCE)
    if tiles is None or frames is None:
        return FrameLinks({}, {}, {})
    cells, shapes = link_tiles(archive, tiles.files, frames.files)
    complete = len(shapes) == len(frames.files) and len(cells) == len(tiles.files)
    return FrameLinks(cells, listing_positions(frames.files), shapes, complete)


def check_links(archive: Archive, tiles: dict[str, str], links: FrameLinks, problems: Problems) -> None:
    """Every tile is a cell of a full frame, and all tiles numbered NN are cells of one frame."""
    frame_of: dict[int, tuple[str, str]] = {}  # NN -> (frame, first tile)
    for tile_id, path in sorted(tiles.items()):
        link = links.cells.get(tile_id)
        if link is None and not links.complete:
            continue
        if link is None:
            problems.report(
                ArchiveLayoutError(
                    f"{archive.where(path)}: equals no 256-grid cell of any frame in {FRAMES}/{REFERENCE}/"
                )
            )
            continue
        first = frame_of.setdefault(tile_frame(tile_id, archive.where(path)), (link.frame, tile_id))
        if first[0] != link.frame:
            problems.report(
                ArchiveLayoutError(
                    f"{archive.where(path)}: is a cell of frame {link.frame}, but tile {first[1]} of the same "
                    f"number is a cell of {first[0]}"
                )
            )


def tile_split(archive: Archive, tiles: dict[str, str]) -> dict[int, str]:
    """The frame split, from all tiles of `raw_scale100` (so `drone` and `drone_full` agree)."""
    return frame_split(Counter(tile_frame(image_id, archive.where(path)) for image_id, path in tiles.items()))


def listing_positions(frames: dict[str, str]) -> dict[str, int]:
    """Each frame's (stem -> archive path) 0-based position in the sorted listing of its file names,
    the number the authors give it (`sorted(os.listdir(folder))`)."""
    names = sorted(frames, key=lambda stem: PurePosixPath(frames[stem]).name)
    return {stem: position for position, stem in enumerate(names)}


def link_tiles(
    archive: Archive, tiles: dict[str, str], frames: dict[str, str]
) -> tuple[dict[str, Cell | None], dict[str, tuple[int, int]]]:
    """For each tile (id -> archive path), the cell of the frames (stem -> archive path) it equals, or
    None; and each frame's shape. One frame is held in memory at a time, and only digests are kept. A frame
    or tile that does not decode (see `Archive.collect_unreadable`) is left out."""
    cells: dict[bytes, Cell] = {}
    shapes = {}
    for stem, path in tqdm(sorted(frames.items()), desc="link tiles to frames", unit=" frames", disable=None):
        mosaic = archive.decode(path, images.decode_frame, PurePosixPath(path).suffix)
        if mosaic is None:
            continue
        shapes[stem] = mosaic.shape
        for key, position in grid(mosaic).items():
            cells.setdefault(key, Cell(stem, position))
    links = {}
    for tile_id, path in sorted(tiles.items()):
        if (pixels := archive.decode(path, images.decode_raw, TILE_SHAPE)) is not None:
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
