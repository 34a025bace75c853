"""Arrow batches of a Lens2Logit dataset as dicts of numpy arrays or torch tensors, the pixels exact."""

import io
from collections.abc import Iterator

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from PIL import Image

from ..errors import InvalidArgumentError
from .handover import shared_tensor

BATCH_SIZE = 100  # tiles read at once when iterating row by row
NUMBERS = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64")


def wanted(view: pa.Array | pa.ChunkedArray, rows: str) -> pa.Array:
    """Which rows hold the pixel column: `view == 0` (raw) or not (views)."""
    return pc.equal(view, 0) if rows == "raw" else pc.not_equal(view, 0)


def refuse_unmarked(column: pa.Array | pa.ChunkedArray, pixel: str) -> None:
    """Refuse a pixel column with nulls when no `view` column tells its rows apart: they are rows of the other
    kind (processed views have no `raw`, raw rows no `rgb`), which would otherwise be read as pixels."""
    if column.null_count:
        raise InvalidArgumentError(
            f"{column.null_count} of these {len(column)} rows have no {pixel!r} pixels: they are rows of the other "
            f"kind, and without the 'view' column they cannot be told apart; keep 'view' in the columns read "
            f"(load_dataset(..., columns=[..., 'view']) or select_columns)"
        )


class Converter:
    """Arrow batches of the read columns -> dicts of arrays (or lists) of the kept columns."""

    def __init__(self, features: datasets.Features, kept: list[str], framework: str, processing=None):
        self.features, self.kept, self.framework = features, kept, framework
        self.processing = processing  # raw mosaics -> RGB by a pipeline, or None
        self.lend = False  # inside DataLoader workers, lend the pixels in shared buffers (for `loader` to take)
        # rows read at once when iterating row by row: one for full frames (~40 MB each)
        self.rows_per_read = 1 if kept[0] == "raw" and _is_encoded(features[kept[0]]) else BATCH_SIZE

    def batch(self, table: pa.Table | None, pixels: np.ndarray | None = None) -> dict:
        """The kept columns of `table`; `pixels`, when given, is the pixel column already as numpy."""
        pixel = self.kept[0]
        if pixels is None:
            refuse_unmarked(table.column(pixel), pixel)
            pixels = _pixel_array(table.column(pixel), self.features[pixel])
        if self.processing is not None:
            batch = {"rgb": self._processed(pixels)}
        else:
            batch = {pixel: self._tensor(pixels, image=pixel == "rgb")}
        batch.update((name, self._column(name, table.column(name))) for name in self.kept[1:])
        return batch

    def _processed(self, mosaics: np.ndarray):
        """RGB of raw mosaics (n, H, W): numpy (n, H, W, 3) float64 one mosaic at a time, torch (n, 3, H, W)
        float32 in one batch."""
        if self.framework == "torch":
            import torch

            rgb = self.processing(torch.from_numpy(mosaics.astype(np.int32)))
            return self._tensor(rgb.numpy()) if torch.utils.data.get_worker_info() else rgb
        if not len(mosaics):
            return np.empty((0, *mosaics.shape[1:], 3))
        return np.stack([self.processing(mosaic) for mosaic in mosaics])

    def _column(self, name: str, column: pa.ChunkedArray):
        feature = self.features[name]
        number = isinstance(feature, datasets.Value) and feature.dtype in NUMBERS
        if number or isinstance(feature, datasets.ClassLabel):
            return self._tensor(column.to_numpy())
        if isinstance(feature, datasets.Image):
            return [None if value is None else feature.decode_example(value) for value in column.to_pylist()]
        return column.to_pylist()

    def _tensor(self, array: np.ndarray, image: bool = False):
        """`array` as torch: uint16 as int32, images (n, H, W, 3) as (n, 3, H, W); in shared memory inside a
        DataLoader worker (as torch's own collate does), so handing the batch to the main process copies
        nothing more; in a buffer the worker reuses when the converter lends (`handover`)."""
        if self.framework == "numpy":
            return array
        import torch

        if image and array.ndim == 4:
            array = array.transpose(0, 3, 1, 2)
        dtype = torch.int32 if array.dtype == np.uint16 else getattr(torch, array.dtype.name)
        if torch.utils.data.get_worker_info() is not None:
            return shared_tensor(array, dtype, self.lend)
        tensor = torch.empty(array.shape, dtype=dtype)
        np.copyto(tensor.numpy(), array)
        return tensor


def _is_encoded(feature) -> bool:
    """Pixels stored as image files (a view's PNG Image, a full frame's PNG bytes), not as arrays."""
    return isinstance(feature, datasets.Image) or feature == datasets.Value("binary")


def _pixel_array(column: pa.ChunkedArray, feature) -> np.ndarray:
    """The pixels of a batch as one numpy array (n, H, W[, 3]): fixed-shape arrays viewed without copy
    (one copy when the batch spans several Arrow chunks), images decoded."""
    if _is_encoded(feature):  # PNG files: full frames' bytes, or images of views
        values = column.to_pylist()
        encoded = values if feature == datasets.Value("binary") else [value["bytes"] for value in values]
        decoded = [np.asarray(Image.open(io.BytesIO(data))) for data in encoded]
        return np.stack(decoded) if decoded else np.empty((0,), np.uint8)
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    values = array.storage if isinstance(array, pa.ExtensionArray) else array
    for _ in feature.shape:
        values = values.flatten()
    return values.to_numpy(zero_copy_only=False).reshape(len(array), *feature.shape)


def rows_of(batch: dict) -> Iterator[dict]:
    size = len(next(iter(batch.values())))
    for i in range(size):
        yield {name: values[i] for name, values in batch.items()}
