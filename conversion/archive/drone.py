"""The `drone` config: 256x256 tiles with car masks, split by the frame they were cut from."""

from dataclasses import dataclass, field

import datasets
import numpy as np
import pyarrow as pa

from .. import arrow, images
from ..facts import TILE_SHAPE
from ..features import drone_features
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
    view_dtype,
)
from .frame_links import MASK_SUFFIXES, TILE_MASKS, TILES, check_links, frame_links, numbering, tile_frame, tile_split
from .reader import Archive
from .splits import authors_tile_split
from .tile_rows import TileRows


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


def index_drone(archive: Archive, allow_missing: bool = False) -> DroneIndex:
    """Check the drone tiles and their masks; split them by frame."""
    require(archive, TILES)
    require(archive, TILE_MASKS)
    problems = Problems(allow_missing)
    conditions = scan_conditions(archive, TILES, TIFF_SUFFIXES)
    reconcile_conditions(archive, conditions, TILES, problems)
    reference = conditions[REFERENCE].files
    masks = files_by_stem(archive, TILE_MASKS, MASK_SUFFIXES)
    image_ids = paired(archive, reference, masks, problems)
    splits = tile_split(archive, reference)
    authors_splits = authors_tile_split(list(reference))
    links = frame_links(archive)
    if links.positions:
        check_links(archive, reference, links, problems)
    tiles = {}
    for image_id in image_ids:
        frame_id = tile_frame(image_id, archive.where(reference[image_id]))
        mask = archive.decode(masks[image_id], images.decode_mask, TILE_SHAPE)
        if mask is None:
            continue  # unreadable, reported by the archive
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
