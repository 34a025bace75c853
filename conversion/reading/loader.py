"""A torch DataLoader over pixel rows, map-style or streamed, that reads and hands over whole batches."""

import copy
import functools

from ..errors import ArgumentTypeError, InvalidArgumentError, import_optional
from .handover import taken
from .rows import PixelRows
from .stream import PixelStream


def loader(rows, batch_size: int, shuffle: bool = False, drop_last: bool = False, **options):
    """A torch DataLoader over `pixels` rows that reads each batch with one call and hands it over whole,
    without splitting it into rows and stacking them again.

    Map-style rows (of a loaded dataset) are read by `rows[indices]`, in order or shuffled. Streamed rows
    (`streaming=True`) are read in the stream's order; with `num_workers`, each worker reads its share of
    the stream's shards (as `datasets` shares them) and the DataLoader takes its workers' batches in turn,
    so every row comes once.

    `num_workers` processes read batches while the main process trains: they pay when the main process
    has work of its own (a model step) or the batches do (`pipeline=`), and for a stream, whose Parquet
    shards they decode in parallel. Each worker writes its batches' pixels into shared-memory buffers it
    reuses, and the main process's tensors are those buffers (a buffer is reused once no tensor is left
    on it), so handing a batch over copies nothing. Stream with `stream(...)`, which downloads only the
    shards and columns read.

    Args:
        rows: rows from `pixels(dataset, "torch", ...)`: map-style or streamed.
        batch_size: rows per batch (at most, for a stream: a stream's batches end at the end of its shards).
        shuffle: a new random order of the rows every epoch (map-style only: shuffle a stream with
            `stream.shuffle(seed=..., buffer_size=...)` before `pixels`).
        drop_last: leave out the last batch when it is smaller than `batch_size` (map-style only).
        **options: passed to `torch.utils.data.DataLoader`, e.g. `num_workers=2`.

    Returns:
        A `torch.utils.data.DataLoader` whose batches are dicts of stacked tensors (strings as lists).

    Raises:
        ArgumentTypeError: `rows` are not `pixels` rows (a TypeError).
        InvalidArgumentError: `shuffle` or `drop_last` for a stream (a ValueError).

    Shape:
        As `pixels`, batched: raw mosaics (batch_size, H, W) int32.

    Examples:
        >>> import datasets
        >>> import numpy as np
        >>> from lens2logit import loader, pixels
        >>> features = datasets.Features(
        ...     {"raw": datasets.Array2D((4, 4), "uint16"), "image_id": datasets.Value("string")}
        ... )
        >>> mosaics = [np.full((4, 4), value, np.uint16) for value in range(5)]
        >>> split = datasets.Dataset.from_dict({"raw": mosaics, "image_id": list("abcde")}, features=features)
        >>> for batch in loader(pixels(split, "torch"), batch_size=2):
        ...     print(tuple(batch["raw"].shape), batch["raw"].dtype, batch["image_id"])
        (2, 4, 4) torch.int32 ['a', 'b']
        (2, 4, 4) torch.int32 ['c', 'd']
        (1, 4, 4) torch.int32 ['e']
        >>> stream = pixels(split.to_iterable_dataset(num_shards=2), "torch")
        >>> [batch["image_id"] for batch in loader(stream, batch_size=2, num_workers=2)]
        [['a', 'b'], ['d', 'e'], ['c']]
    """
    import_optional("torch", "torch", "loader")
    import torch.utils.data

    if isinstance(rows, PixelStream):
        if shuffle or drop_last:
            raise InvalidArgumentError(
                "loader reads a stream in its own order, whole: shuffle the stream before pixels "
                "(stream.shuffle(seed=..., buffer_size=...)) and leave shuffle and drop_last out"
            )
        return _loader_class()(_lending(rows.batched(batch_size)), batch_size=None, **options)
    if not isinstance(rows, PixelRows):
        raise ArgumentTypeError(
            f"loader takes the rows of pixels(dataset, 'torch'), map-style or streamed, got {type(rows).__name__}"
        )
    order = torch.utils.data.RandomSampler(rows) if shuffle else torch.utils.data.SequentialSampler(rows)
    batches = torch.utils.data.BatchSampler(order, batch_size, drop_last)
    return _loader_class()(_lending(rows), batch_size=None, sampler=batches, **options)


def _lending(rows: PixelRows | PixelStream) -> PixelRows | PixelStream:
    """A copy of `rows` whose DataLoader workers lend their batches' pixels (`handover`), for `loader` to take."""
    rows = copy.copy(rows)
    rows._converter = copy.copy(rows._converter)
    rows._converter.lend = True
    return rows


@functools.cache
def _loader_class() -> type:
    """A torch DataLoader that takes each batch's lent pixels out of their worker's buffer as it gives the
    batch; made on first use, so that torch is imported only when it is used."""
    import torch.utils.data

    class Loader(torch.utils.data.DataLoader):
        def __iter__(self):
            return map(taken, super().__iter__())

    return Loader
