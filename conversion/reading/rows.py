"""Map-style pixel rows: read a batch at a time from numpy views of the memory-mapped Arrow table."""

from collections.abc import Iterator

import datasets
import numpy as np
import pyarrow as pa

from .batches import Converter, refuse_unmarked, rows_of, wanted


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


def _is_own_table(dataset: datasets.Dataset, pixel: str) -> bool:
    """Whether the rows of `dataset` are its own table's, in place: whether a column besides `pixel`, read for all
    rows in the dataset's Arrow format, is the table's column itself (the same chunks at the same memory). It is
    not when the dataset maps its rows to others of the table (after `shuffle`, `filter` or a scattered
    `select`): they are then read through that mapping, never straight from the table."""
    name = next((name for name in dataset.column_names if name != pixel), None)
    if name is None:
        return False
    read = dataset.select_columns([name]).with_format("arrow")[:].column(name).chunks
    own = dataset.data.column(name).chunks

    def where(chunk: pa.Array) -> tuple:
        return chunk.offset, len(chunk), tuple(buffer.address if buffer else None for buffer in chunk.buffers())

    return len(read) == len(own) and all(where(a) == where(b) for a, b in zip(read, own, strict=True))


class PixelRows:
    """Map-style rows of one kind, read a batch at a time: the pixels from numpy views of the memory-mapped
    Arrow table when the dataset's rows are its table's (no `shuffle`, `filter` or scattered `select`
    maps them), else through Arrow with the other columns."""

    def __init__(self, dataset: datasets.Dataset, read: list[str], converter: Converter, rows: str):
        """The `rows` kind of rows of `dataset`, its columns `read` (the pixel column first) given by `converter`."""
        self._converter = converter
        pixel, feature = read[0], dataset.features[read[0]]
        self._source = dataset.select_columns(read[1:]).with_format("arrow") if read[1:] else None
        self._pixels = None
        if isinstance(feature, (datasets.Array2D, datasets.Array3D)) and _is_own_table(dataset, pixel):
            mapped = _MappedPixels(dataset.data.column(pixel), feature.shape)
            self._pixels = mapped if mapped.aligned else None
        if self._pixels is None:  # the pixels through Arrow, with the other columns
            self._source = dataset.select_columns(read).with_format("arrow")
        if "view" in read:
            self._positions = np.flatnonzero(wanted(self._source[:]["view"], rows).to_numpy())
        else:
            if self._pixels is not None:  # the table's own rows: refused at once (through Arrow, batch by batch)
                refuse_unmarked(dataset.data.column(pixel), pixel)
            self._positions = np.arange(len(dataset))

    def __len__(self) -> int:
        return len(self._positions)

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            return next(rows_of(self._read(self._positions[[key]])))
        return self._read(self._positions[key])

    def __getitems__(self, keys: list[int]) -> list[dict]:
        """The rows of `keys` from one read: what a torch DataLoader with `batch_size` asks for."""
        return list(rows_of(self[keys]))

    def __iter__(self) -> Iterator[dict]:
        for batch in self.iter(self._converter.rows_per_read):
            yield from rows_of(batch)

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
