"""The raw rows (or processed-view rows) of a Lens2Logit dataset with exact numpy or torch pixels, read
a batch at a time: map-style from numpy views of the memory-mapped Arrow table (one numpy `take` a
batch, or a view of consecutive rows; no per-row step), streamed from the stream's Arrow batches (view
rows dropped in Arrow, never decoded)."""

import functools
import io
from collections.abc import Iterator, Sequence

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from PIL import Image

from conversion.processing import check_unsharp, parse_pipeline, process

FRAMEWORKS = ("numpy", "torch")
ROW_KINDS = ("raw", "views")
PIXEL_COLUMNS = ("raw", "rgb")
BATCH_SIZE = 100  # tiles read at once when iterating row by row
NUMBERS = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64")


def pixels(
    dataset,
    framework: str = "numpy",
    rows: str = "raw",
    columns: Sequence[str] | None = None,
    pipeline: str | None = None,
    unsharp: str = "columns",
):
    """The raw rows (or, `rows="views"`, the processed-view rows) of a Lens2Logit dataset, with their
    pixels as arrays holding exactly the stored values.

    numpy gets uint16 (uint8 for 8-bit views) as stored: raw mosaics (H, W), views (H, W, 3). torch gets
    int32 for 16-bit values (torch has no full uint16 support; int32 holds every uint16 value) and uint8
    for 8-bit views, with views channels-first (3, H, W); a mosaic, a full frame included, stays (H, W).
    The same shapes and dtypes come map-style and streamed (`streaming=True`).

    `columns` are the other columns to keep (default: all but the other pixel column). Numeric columns
    come as numpy arrays (torch tensors), strings as lists, images (`preview`, `mask`) as PIL images; leave
    images out when they are not needed, since they are decoded row by row.

    Map-style datasets give a map-style object: `len`, `[i]` (a row), `[i:j]` or `[[i, j, ...]]` (a batch
    of stacked arrays, read at once), `iter(batch_size)`, and row iteration; numpy pixels of consecutive
    rows are read-only views of the Arrow cache. Use `loader` for a torch
    DataLoader that reads whole batches. Streamed datasets give an iterable of rows, with `iter(batch_size)`.

    `pipeline` (one of PIPELINES) processes the raw rows, at every intensity, by that pipeline (`process`,
    with the dataset's camera and the `unsharp` variant): each row's `raw` becomes `rgb`, float in
    [0, 1], (H, W, 3) float64 by the numpy reference, or (3, H, W) float32 by the batched torch port.

        train = pixels(load_dataset("path/to/lens2logit", "microscopy", split="train"), "torch", columns=["label"])
    """
    if not isinstance(dataset, (datasets.Dataset, datasets.IterableDataset)):
        raise TypeError(f"pixels takes a datasets.Dataset or IterableDataset (one split), got {type(dataset).__name__}")
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {FRAMEWORKS}, got {framework!r}")
    if rows not in ROW_KINDS:
        raise ValueError(f"rows must be one of {ROW_KINDS}, got {rows!r}")
    if rows == "views" and "view" not in dataset.features:
        raise ValueError("this dataset has no processed views (drone_full and drone_classification hold raw rows only)")
    if pipeline is not None and rows != "raw":
        raise ValueError(f"pipeline={pipeline!r} processes raw rows; it cannot be given with rows={rows!r}")
    column = PIXEL_COLUMNS[ROW_KINDS.index(rows)]
    wanted = list(dataset.features) if columns is None else list(columns)
    kept = [column, *(name for name in wanted if name not in PIXEL_COLUMNS)]
    processing = None
    if pipeline is not None:
        parse_pipeline(pipeline)
        check_unsharp(unsharp)
        camera = "drone" if "frame_id" in dataset.features else "microscopy"
        processing = functools.partial(process, pipeline=pipeline, camera=camera, unsharp=unsharp)
    converter = _Converter(dataset.features, kept, framework, processing)
    read = kept + (["view"] if "view" in dataset.features and "view" not in kept else [])
    if isinstance(dataset, datasets.IterableDataset):
        return PixelStream(dataset.select_columns(read), converter, rows)
    return PixelRows(dataset.select_columns(read), converter, rows)


def _wanted(view: pa.Array | pa.ChunkedArray, rows: str) -> pa.Array:
    """Which rows hold the pixel column: `view == 0` (raw) or not (views)."""
    return pc.equal(view, 0) if rows == "raw" else pc.not_equal(view, 0)


class _Converter:
    """Arrow batches of the read columns -> dicts of arrays (or lists) of the kept columns."""

    def __init__(self, features: datasets.Features, kept: list[str], framework: str, processing=None):
        self.features, self.kept, self.framework = features, kept, framework
        self.processing = processing  # raw mosaics -> RGB by a pipeline, or None
        # rows read at once when iterating row by row: one for full frames (~40 MB each)
        self.rows_per_read = 1 if kept[0] == "raw" and _is_encoded(features[kept[0]]) else BATCH_SIZE

    def batch(self, table: pa.Table | None, pixels: np.ndarray | None = None) -> dict:
        """The kept columns of `table`; `pixels`, when given, is the pixel column already as numpy."""
        pixel = self.kept[0]
        if pixels is None:
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

            return self.processing(torch.from_numpy(mosaics.astype(np.int32)))
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
        """`array` as torch: uint16 as int32, in shared memory inside a DataLoader worker (as torch's own
        collate does), so handing the batch to the main process copies nothing more."""
        if self.framework == "numpy":
            return array
        import torch

        dtype = torch.int32 if array.dtype == np.uint16 else getattr(torch, array.dtype.name)
        tensor = torch.empty(array.shape, dtype=dtype)
        if torch.utils.data.get_worker_info() is not None:
            tensor.share_memory_()
        np.copyto(tensor.numpy(), array)
        return tensor.permute(0, 3, 1, 2).contiguous() if image and tensor.ndim == 4 else tensor


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


def _rows(batch: dict) -> Iterator[dict]:
    size = len(next(iter(batch.values())))
    for i in range(size):
        yield {name: values[i] for name, values in batch.items()}


class _MappedPixels:
    """A fixed-shape pixel column of a dataset's own Arrow table as numpy views of its memory-mapped
    buffers (public pyarrow API: list offsets and values): each Arrow chunk's values viewed as
    (rows, pixels), so a batch is one numpy `take` per chunk, and consecutive rows are a view."""

    def __init__(self, column: pa.ChunkedArray, shape: tuple[int, ...]):
        self.shape, size = shape, int(np.prod(shape))
        self.rows: list[np.ndarray] = []  # per chunk: its values as (rows with pixels, size)
        self.aligned = True  # every row's values start a whole number of rows after the chunk's first
        chunk_of, row_of = [np.empty(0, int)], [np.empty(0, int)]  # each table row's chunk, and its row there
        for number, chunk in enumerate(column.chunks):
            level = chunk.storage if isinstance(chunk, pa.ExtensionArray) else chunk
            starts = np.arange(len(level))
            for _ in shape:  # list offsets are absolute positions in the unsliced child array
                starts = level.offsets.to_numpy()[starts]
                level = level.values
            values = level.to_numpy()
            first = int(starts.min()) if len(starts) else 0
            self.aligned = self.aligned and not np.any((starts - first) % size)
            self.rows.append(values[first : first + (len(values) - first) // size * size].reshape(-1, size))
            chunk_of.append(np.full(len(chunk), number))
            row_of.append((starts - first) // size)
        self.chunk_of, self.row_of = np.concatenate(chunk_of), np.concatenate(row_of)

    def gather(self, positions: np.ndarray) -> np.ndarray:
        """The pixels of the table rows at `positions` (none of them null), as (n, *shape)."""
        chunks, rows = self.chunk_of[positions], self.row_of[positions]
        if len(positions) and (chunks == chunks[0]).all() and np.all(np.diff(rows) == 1):
            return self.rows[chunks[0]][rows[0] : rows[-1] + 1].reshape(len(positions), *self.shape)
        batch = np.empty((len(positions), *self.shape), self.rows[0].dtype if self.rows else np.uint16)
        for chunk in np.unique(chunks):
            here = chunks == chunk
            batch[here] = self.rows[chunk][rows[here]].reshape(-1, *self.shape)
        return batch


class PixelRows:
    """Map-style rows of one kind, read a batch at a time: the pixels from numpy views of the memory-mapped
    Arrow table when the dataset's rows are its table's (no `shuffle`, `filter` or scattered `select`
    maps them), else through Arrow with the other columns."""

    def __init__(self, dataset: datasets.Dataset, converter: _Converter, rows: str):
        self._converter = converter
        pixel = converter.kept[0]
        feature = dataset.features[pixel]
        # `_indices` is how datasets maps rows after select, shuffle or filter; its own table is then not the rows
        direct = getattr(dataset, "_indices", None) is None and isinstance(
            feature, (datasets.Array2D, datasets.Array3D)
        )
        mapped = _MappedPixels(dataset.data.column(pixel), feature.shape) if direct else None
        self._pixels = mapped if mapped and mapped.aligned else None
        others = [name for name in dataset.column_names if name != pixel] if self._pixels else dataset.column_names
        self._source = dataset.select_columns(others).with_format("arrow") if others else None
        if "view" in dataset.features:
            self._positions = np.flatnonzero(_wanted(self._source[:]["view"], rows).to_numpy())
        else:
            self._positions = np.arange(len(dataset))

    def __len__(self) -> int:
        return len(self._positions)

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            return next(_rows(self._read(self._positions[[key]])))
        return self._read(self._positions[key])

    def __getitems__(self, keys: list[int]) -> list[dict]:
        """The rows of `keys` from one read: what a torch DataLoader with `batch_size` asks for."""
        return list(_rows(self[keys]))

    def __iter__(self) -> Iterator[dict]:
        for batch in self.iter(self._converter.rows_per_read):
            yield from _rows(batch)

    def iter(self, batch_size: int) -> Iterator[dict]:
        """Batches of `batch_size` rows in order, each a dict of stacked arrays."""
        for start in range(0, len(self), batch_size):
            yield self[start : start + batch_size]

    def _read(self, positions: np.ndarray) -> dict:
        """One read of the rows at `positions`: Arrow slices when they are consecutive, else one `take`."""
        table = None
        if self._source is not None and len(positions) and np.all(np.diff(positions) == 1):
            table = self._source[int(positions[0]) : int(positions[-1]) + 1]
        elif self._source is not None:
            table = self._source[positions.tolist()]
        return self._converter.batch(table, self._pixels.gather(positions) if self._pixels else None)


class _Iterable:
    """The base of PixelStream, to which torch's IterableDataset is added when torch is installed."""


class PixelStream(_Iterable):
    """Streamed rows of one kind: Arrow batches of the stream, the other rows dropped in Arrow."""

    def __init__(self, stream: datasets.IterableDataset, converter: _Converter, rows: str):
        _add_torch_iterable_base(type(self))
        self._stream, self._converter, self._rows = stream.with_format("arrow"), converter, rows

    def __iter__(self) -> Iterator[dict]:
        for batch in self.iter(self._converter.rows_per_read):
            yield from _rows(batch)

    def iter(self, batch_size: int) -> Iterator[dict]:
        """Batches of at most `batch_size` rows, each a dict of stacked arrays."""
        for table in self._stream.iter(batch_size=batch_size):
            if "view" in table.column_names:  # batches come shard by shard: mostly all wanted, or none
                wanted = _wanted(table.column("view"), self._rows)
                count = pc.sum(wanted).as_py() or 0
                table = table if count == len(table) else table.filter(wanted)  # filtering copies the pixels
            if len(table):
                yield self._converter.batch(table)


def _add_torch_iterable_base(cls: type) -> None:
    """Make `cls` a torch IterableDataset when torch is installed, so a DataLoader iterates it (as
    `datasets.IterableDataset` does), without importing torch otherwise."""
    if datasets.config.TORCH_AVAILABLE:
        import torch.utils.data

        if torch.utils.data.IterableDataset not in cls.__mro__:
            cls.__bases__ += (torch.utils.data.IterableDataset,)


def loader(rows: PixelRows, batch_size: int, shuffle: bool = False, drop_last: bool = False, **options):
    """A torch DataLoader over map-style `pixels` rows that reads each batch with one call (`rows[indices]`)
    and hands it over whole, without splitting it into rows and stacking them again; `options` go to
    the DataLoader (e.g. `num_workers=2`)."""
    import torch.utils.data

    order = torch.utils.data.RandomSampler(rows) if shuffle else torch.utils.data.SequentialSampler(rows)
    batches = torch.utils.data.BatchSampler(order, batch_size, drop_last)
    return torch.utils.data.DataLoader(rows, batch_size=None, sampler=batches, **options)
