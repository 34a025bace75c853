"""Rows of 256x256 tiles as Arrow tables: the columns every condition gives, and the rows of an index."""

from collections.abc import Iterator

import datasets
import numpy as np
import pyarrow as pa

from .. import arrow, images
from ..errors import ImageFormatError
from ..facts import RAW_VIEW, ROWS_PER_ROW_GROUP, TILE_SHAPE
from .conditions import Condition
from .reader import Archive


def decode_tile(archive: Archive, condition: Condition, image_id: str, view_dtype: str) -> tuple[bytes, np.ndarray]:
    """The file of a 256x256 tile under one condition, and its pixels: a raw mosaic, or a view of `view_dtype`."""
    path = condition.files[image_id]
    data, where = archive.read_bytes(path), archive.where(path)
    if condition.view == RAW_VIEW:
        return data, images.decode_raw(data, TILE_SHAPE, where)
    pixels = images.decode_view(data, TILE_SHAPE, where)
    if pixels.dtype.name != view_dtype:
        raise ImageFormatError(
            f"{where}: view is {pixels.dtype.name} but the other views are {view_dtype}; "
            "all processed views must share one dtype"
        )
    return data, pixels


def tile_columns(
    archive: Archive, condition: Condition, image_ids: list[str], features: datasets.Features
) -> dict[str, pa.Array | list]:
    """`intensity`, `view`, `raw`, `rgb` and `preview` of 256x256 tiles under one condition."""
    rgb_feature = features["rgb"]
    view_dtype = "uint8" if isinstance(rgb_feature, datasets.Image) else rgb_feature.dtype
    raws, rgbs, previews = [], [], []
    for image_id in image_ids:
        data, pixels = decode_tile(archive, condition, image_id, view_dtype)
        if condition.view == RAW_VIEW:
            raws.append(pixels)
            rgbs.append(None)
            previews.append(images.raw_preview(pixels))
            continue
        raws.append(None)
        rgbs.append(images.view_png(data, pixels) if view_dtype == "uint8" else pixels)
        previews.append(images.view_preview(pixels))
    return {
        "intensity": [condition.intensity] * len(image_ids),
        "view": [features["view"].str2int(condition.view)] * len(image_ids),
        "raw": arrow.array_column(raws, features["raw"]),
        "rgb": arrow.image_column(rgbs) if view_dtype == "uint8" else arrow.array_column(rgbs, rgb_feature),
        "preview": arrow.image_column(previews),
    }


class TileRows:
    """Rows of 256x256 tile images under conditions, for an index that has `conditions`, `features`, `view_dtype`,
    `image_ids(split)` and `_image_columns(image_ids)` (the columns that depend on the image only)."""

    tables_per_shard: int | None = None  # shards are bounded by size only

    def num_rows(self, split: str) -> int:
        """One row per image of the split that a condition holds."""
        image_ids = self.image_ids(split)
        return sum(image_id in condition.files for condition in self.conditions for image_id in image_ids)

    def decode(self, archive: Archive, condition: Condition, image_id: str) -> None:
        """Decode one file as `tables` does, raising what it would."""
        decode_tile(archive, condition, image_id, self.view_dtype)

    def tables(self, archive: Archive, split: str) -> Iterator[tuple[str, str, pa.Table]]:
        """(condition name, key, table of <= ROWS_PER_ROW_GROUP rows) in package row order."""
        features, image_ids = self.features, self.image_ids(split)
        for condition in self.conditions:
            present = [image_id for image_id in image_ids if image_id in condition.files]
            for start in range(0, len(present), ROWS_PER_ROW_GROUP):
                batch = present[start : start + ROWS_PER_ROW_GROUP]
                columns = {**self._image_columns(batch), **tile_columns(archive, condition, batch, features)}
                yield condition.name, f"{condition.name}/{batch[0]}", arrow.table(columns, features)
