"""The drone part of the archive: 256x256 tiles with car masks (`drone`) and the full frames they were
cut from (`drone_full`); index their files, split by frame, generate rows as Arrow tables."""

import functools
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import PurePosixPath

import datasets
import numpy as np
import pyarrow as pa

from conversion import arrow, images
from conversion.archive import Archive
from conversion.conditions import (
    REFERENCE,
    TIFF_SUFFIXES,
    Condition,
    Problems,
    TileRows,
    files_by_stem,
    keep_images,
    reconcile_conditions,
    scan_conditions,
    view_dtype,
)
from conversion.constants import FRAME_PREVIEW_SIZE, TILE_SHAPE
from conversion.errors import ArchiveLayoutError, ArchiveNotFoundError, ImageFormatError
from conversion.features import drone_features, drone_full_features
from conversion.grid import Cell, link_tiles, listing_positions, numbering
from conversion.splits import authors_tile_split, frame_split

TILES = "drone/images_tiles_256"
TILE_MASKS = "drone/masks_tiles_256"
FRAMES = "drone/images_full"
FRAME_MASKS = "drone/masks_full"
MASK_SUFFIXES = (".png",)
FRAME_SUFFIXES = (".tif", ".tiff", ".dng")
_TILE_NAME = re.compile(r"(\d+)_(\d+)")
FRAME_WORKERS = 2  # full frames encoded at once: ~2x faster on 2 cores, ~100 MB of memory each


@dataclass(frozen=True)
class DroneTile:
    image_id: str  # `NN_IIIII`: frame NN, kept tile IIIII
    frame_id: int  # NN
    frame: str | None  # file stem of the full frame the tile is a cell of; None without full frames
    split: str
    authors_split: str  # `train` or `validation`: the authors' random tile split
    mask: bytes  # 1-bit PNG
    car_fraction: float


@dataclass
class DroneIndex(TileRows):
    """The checked tiles of an archive: masks, frame split, conditions, and how to make their rows."""

    tiles: dict[str, DroneTile]  # sorted by image_id
    conditions: list[Condition]  # sorted by name, the order of the package's shard files
    view_dtype: str
    numbering: str  # how tile names number their frames: see grid.numbering
    skipped: list[str] = field(default_factory=list)  # problems let through by allow_missing
    name: str = "drone"

    @property
    def features(self) -> datasets.Features:
        return drone_features(self.view_dtype)

    def image_ids(self, split: str) -> list[str]:
        return [image_id for image_id, tile in self.tiles.items() if tile.split == split]

    def frames(self, split: str) -> list[int]:
        return sorted({tile.frame_id for tile in self.tiles.values() if tile.split == split})

    def _image_columns(self, image_ids: list[str]) -> dict[str, pa.Array | list]:
        tiles = [self.tiles[image_id] for image_id in image_ids]
        return {
            "image_id": image_ids,
            "frame_id": [tile.frame_id for tile in tiles],
            "frame": [tile.frame for tile in tiles],
            "authors_split": [tile.authors_split for tile in tiles],
            "mask": arrow.image_column([tile.mask for tile in tiles]),
            "car_fraction": [tile.car_fraction for tile in tiles],
        }


@dataclass(frozen=True)
class Frame:
    image_id: str  # file stem of the full frame
    frame_id: int  # the NN of its tiles
    split: str
    mask: str  # archive path of the full mask


@dataclass
class DroneFullIndex:
    """The checked full frames of an archive: masks, the tiles' frame split, and how to make their rows."""

    frames: dict[str, Frame]  # sorted by image_id
    conditions: list[Condition]  # the intensities present, sorted by name
    skipped: list[str] = field(default_factory=list)
    name: str = "drone_full"
    # A shard per frame: pyarrow reads a whole file ahead when streaming its first row, and more
    # files spread better over workers and ranks.
    tables_per_shard: int | None = 1

    @property
    def features(self) -> datasets.Features:
        return drone_full_features()

    def num_rows(self, split: str) -> int:
        return sum(
            frame.split == split and frame.image_id in condition.files
            for condition in self.conditions
            for frame in self.frames.values()
        )

    def tables(self, archive: Archive, split: str) -> Iterator[tuple[str, str, pa.Table]]:
        """(condition name, key, one-row table) per frame: a frame is ~40 MB, a shard of its own.

        FRAME_WORKERS frames are encoded at once (PNG encoding releases the GIL), and no more are
        held in memory than that.
        """
        masks: dict[str, tuple[tuple[int, int], bytes]] = {}  # image_id -> (shape, 1-bit PNG), small
        with ThreadPoolExecutor(FRAME_WORKERS) as pool:
            for condition in self.conditions:
                frames = [f for f in self.frames.values() if f.split == split and f.image_id in condition.files]
                for start in range(0, len(frames), FRAME_WORKERS):
                    chunk = frames[start : start + FRAME_WORKERS]
                    rows = pool.map(partial(self._row, archive, condition, masks), chunk)
                    for frame, table in zip(chunk, rows, strict=True):
                        yield condition.name, f"{condition.name}/{frame.image_id}", table

    def _row(self, archive: Archive, condition: Condition, masks: dict, frame: Frame) -> pa.Table:
        """The row of one frame under one condition; the frame's mask is decoded once, for all conditions."""
        path = condition.files[frame.image_id]
        where = archive.where(path)
        mosaic = images.decode_frame(archive.read_bytes(path), PurePosixPath(path).suffix, where)
        if frame.image_id not in masks:
            mask = images.decode_mask(archive.read_bytes(frame.mask), mosaic.shape, archive.where(frame.mask))
            masks[frame.image_id] = (mosaic.shape, images.encode_mask(mask))
        shape, mask_png = masks[frame.image_id]
        if mosaic.shape != shape:
            raise ImageFormatError(f"{where}: frame is {mosaic.shape} but its mask is {shape}")
        columns = {
            "image_id": [frame.image_id],
            "frame_id": [frame.frame_id],
            "intensity": [condition.intensity],
            "raw": [images.encode_frame(mosaic)],
            "mask": arrow.image_column([mask_png]),
            "preview": arrow.image_column([images.raw_preview(mosaic, FRAME_PREVIEW_SIZE)]),
        }
        return arrow.table(columns, self.features)


def _require(archive: Archive, folder: str) -> None:
    if not archive.has_folder(folder):
        raise ArchiveNotFoundError(f"no {folder}/ folder in the archive")


def _tile_frame(image_id: str, where: str) -> int:
    match = _TILE_NAME.fullmatch(image_id)
    if match is None:
        raise ArchiveLayoutError(f"{where}: tile name is not NN_IIIII (frame number, tile number)")
    return int(match.group(1))


@dataclass(frozen=True)
class FrameLinks:
    cells: dict[str, Cell | None]  # tile id -> the cell of a full frame it equals, at full intensity
    positions: dict[str, int]  # frame stem -> its position in the sorted listing, the authors' number
    shapes: dict[str, tuple[int, int]]  # frame stem -> (height, width)


@functools.lru_cache(maxsize=1)  # the drone configs' indexes of one conversion share it
def frame_links(archive: Archive) -> FrameLinks:
    """Which cell of which full frame each tile of `raw_scale100` is; empty without full frames."""
    tiles = scan_conditions(archive, TILES, TIFF_SUFFIXES).get(REFERENCE)
    frames = scan_conditions(archive, FRAMES, FRAME_SUFFIXES, with_views=False).get(REFERENCE)
    if tiles is None or frames is None:
        return FrameLinks({}, {}, {})
    cells, shapes = link_tiles(archive, tiles.files, frames.files)
    return FrameLinks(cells, listing_positions(frames.files), shapes)


def _check_links(archive: Archive, tiles: dict[str, str], links: FrameLinks, problems: Problems) -> None:
    """Every tile is a cell of a full frame, and all tiles numbered NN are cells of one frame."""
    frame_of: dict[int, tuple[str, str]] = {}  # NN -> (frame, first tile)
    for tile_id, path in sorted(tiles.items()):
        link = links.cells.get(tile_id)
        if link is None:
            problems.report(
                ArchiveLayoutError(
                    f"{archive.where(path)}: equals no 256-grid cell of any frame in {FRAMES}/{REFERENCE}/"
                )
            )
            continue
        first = frame_of.setdefault(_tile_frame(tile_id, archive.where(path)), (link.frame, tile_id))
        if first[0] != link.frame:
            problems.report(
                ArchiveLayoutError(
                    f"{archive.where(path)}: is a cell of frame {link.frame}, but tile {first[1]} of the same "
                    f"number is a cell of {first[0]}"
                )
            )


def _tile_split(archive: Archive, tiles: dict[str, str]) -> dict[int, str]:
    """The frame split, from all tiles of `raw_scale100` (so `drone` and `drone_full` agree)."""
    return frame_split(Counter(_tile_frame(image_id, archive.where(path)) for image_id, path in tiles.items()))


def _paired(archive: Archive, images: dict[str, str], masks: dict[str, str], problems: Problems) -> list[str]:
    """Image ids with a mask; an image without a mask or a mask without an image is a problem."""
    for image_id in sorted(images.keys() - masks.keys()):
        problems.report(ArchiveLayoutError(f"{archive.where(images[image_id])}: no mask for it"))
    for image_id in sorted(masks.keys() - images.keys()):
        problems.report(ArchiveLayoutError(f"{archive.where(masks[image_id])}: mask of no image"))
    return sorted(images.keys() & masks.keys())


def index_drone(archive: Archive, allow_missing: bool = False) -> DroneIndex:
    """Check the drone tiles and their masks; split them by frame."""
    _require(archive, TILES)
    _require(archive, TILE_MASKS)
    problems = Problems(allow_missing)
    conditions = scan_conditions(archive, TILES, TIFF_SUFFIXES)
    reconcile_conditions(archive, conditions, TILES, problems)
    reference = conditions[REFERENCE].files
    masks = files_by_stem(archive, TILE_MASKS, MASK_SUFFIXES)
    image_ids = _paired(archive, reference, masks, problems)
    splits = _tile_split(archive, reference)
    authors_splits = authors_tile_split(list(reference))
    links = frame_links(archive)
    if links.positions:
        _check_links(archive, reference, links, problems)
    tiles = {}
    for image_id in image_ids:
        frame_id = _tile_frame(image_id, archive.where(reference[image_id]))
        mask = images.decode_mask(archive.read_bytes(masks[image_id]), TILE_SHAPE, archive.where(masks[image_id]))
        link = links.cells.get(image_id)
        tiles[image_id] = DroneTile(
            image_id,
            frame_id,
            link.frame if link else None,
            splits[frame_id],
            authors_splits[image_id],
            images.encode_mask(mask),
            float(np.float32(mask.mean())),
        )
    ordered = keep_images(conditions, set(image_ids))
    return DroneIndex(
        tiles, ordered, view_dtype(archive, ordered), numbering(links.cells, links.positions), problems.found
    )


def index_drone_full(archive: Archive, allow_missing: bool = False) -> DroneFullIndex:
    """Check the full frames and their masks; each frame takes the split of its tiles."""
    _require(archive, FRAMES)
    _require(archive, FRAME_MASKS)
    problems = Problems(allow_missing)
    conditions = scan_conditions(archive, FRAMES, FRAME_SUFFIXES, with_views=False)
    reconcile_conditions(archive, conditions, FRAMES, problems, expected=(REFERENCE,))
    reference = conditions[REFERENCE].files
    masks = files_by_stem(archive, FRAME_MASKS, MASK_SUFFIXES)
    tiles = scan_conditions(archive, TILES, TIFF_SUFFIXES).get(REFERENCE)
    if tiles is None:
        raise ArchiveNotFoundError(f"no {TILES}/{REFERENCE}/ folder in the archive, which gives the frame split")
    splits = _tile_split(archive, tiles.files)
    numbers = {}  # frame stem -> the NN of its tiles
    for tile_id, link in frame_links(archive).cells.items():
        if link is not None:
            numbers.setdefault(link.frame, _tile_frame(tile_id, archive.where(tiles.files[tile_id])))
    frames: dict[str, Frame] = {}
    for image_id in _paired(archive, reference, masks, problems):
        if image_id not in numbers:
            problems.report(
                ArchiveLayoutError(f"{archive.where(reference[image_id])}: no tile in {TILES}/ is a cell of this frame")
            )
            continue
        frame_id = numbers[image_id]
        frames[image_id] = Frame(image_id, frame_id, splits[frame_id], masks[image_id])
    for frame_id in sorted(set(splits) - {frame.frame_id for frame in frames.values()}):
        problems.report(ArchiveLayoutError(f"{FRAMES}/{REFERENCE}/: no full frame for the tiles of frame {frame_id}"))
    return DroneFullIndex(frames, keep_images(conditions, set(frames)), problems.found)
