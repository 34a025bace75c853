"""The `drone_full` config: the full raw frames the tiles were cut from, with their car masks."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import PurePosixPath

import datasets
import pyarrow as pa

from .. import arrow, images
from ..errors import ArchiveLayoutError, ArchiveNotFoundError, ImageFormatError
from ..facts import FRAME_PREVIEW_SIZE
from ..features import drone_full_features
from .conditions import (
    REFERENCE,
    TIFF_SUFFIXES,
    Condition,
    Problems,
    files_by_stem,
    keep_images,
    paired,
    reconcile_conditions,
    require,
    scan_conditions,
)
from .frame_links import FRAME_MASKS, FRAME_SUFFIXES, FRAMES, MASK_SUFFIXES, TILES, frame_links, tile_frame, tile_split
from .reader import Archive

FRAME_WORKERS = 2  # full frames encoded at once: ~2x faster on 2 cores, ~100 MB of memory each


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

    def decode(self, archive: Archive, condition: Condition, image_id: str) -> None:
        """Decode one frame (and, at full intensity, its mask) as `tables` does, raising what it would."""
        path = condition.files[image_id]
        mosaic = archive.decode(path, images.decode_frame, PurePosixPath(path).suffix)
        if mosaic is not None and condition.name == REFERENCE:
            archive.decode(self.frames[image_id].mask, images.decode_mask, mosaic.shape)

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


def index_drone_full(archive: Archive, allow_missing: bool = False) -> DroneFullIndex:
    """Check the full frames and their masks; each frame takes the split of its tiles."""
    require(archive, FRAMES)
    require(archive, FRAME_MASKS)
    problems = Problems(allow_missing)
    conditions = scan_conditions(archive, FRAMES, FRAME_SUFFIXES, with_views=False)
    reconcile_conditions(archive, conditions, FRAMES, problems, expected=(REFERENCE,))
    reference = conditions[REFERENCE].files
    masks = files_by_stem(archive, FRAME_MASKS, MASK_SUFFIXES)
    tiles = scan_conditions(archive, TILES, TIFF_SUFFIXES).get(REFERENCE)
    if tiles is None:
        raise ArchiveNotFoundError(f"no {TILES}/{REFERENCE}/ folder in the archive, which gives the frame split")
    splits = tile_split(archive, tiles.files)
    links = frame_links(archive)
    numbers = {}  # frame stem -> the NN of its tiles
    for tile_id, link in links.cells.items():
        if link is not None:
            numbers.setdefault(link.frame, tile_frame(tile_id, archive.where(tiles.files[tile_id])))
    frames: dict[str, Frame] = {}
    for image_id in paired(archive, reference, masks, problems):
        if image_id not in numbers and not links.complete:
            continue  # a file it is linked by did not decode, reported by the archive
        if image_id not in numbers:
            problems.report(
                ArchiveLayoutError(f"{archive.where(reference[image_id])}: no tile in {TILES}/ is a cell of this frame")
            )
            continue
        frame_id = numbers[image_id]
        frames[image_id] = Frame(image_id, frame_id, splits[frame_id], masks[image_id])
    for frame_id in sorted(set(splits) - {frame.frame_id for frame in frames.values()} if links.complete else ()):
        problems.report(ArchiveLayoutError(f"{FRAMES}/{REFERENCE}/: no full frame for the tiles of frame {frame_id}"))
    return DroneFullIndex(frames, keep_images(conditions, set(frames)), problems.found)
