"""Streamed pixel rows: the stream's Arrow batches, the other kind of rows dropped in Arrow."""

import functools
from collections.abc import Iterator

import datasets
import pyarrow.compute as pc

from .batches import Converter, rows_of, wanted


class PixelStream:
    """Streamed rows of one kind: Arrow batches of the stream, the other rows dropped in Arrow."""

    def __init__(self, stream: datasets.IterableDataset, converter: Converter, rows: str):
        self._stream, self._converter, self._rows = stream.with_format("arrow"), converter, rows

    def __iter__(self) -> Iterator[dict]:
        for batch in self.iter(self._converter.rows_per_read):
            yield from rows_of(batch)

    def iter(self, batch_size: int) -> Iterator[dict]:
        """Batches of at most `batch_size` rows, each a dict of stacked arrays."""
        for table in self._stream.iter(batch_size=batch_size):
            if "view" in table.column_names:  # batches come shard by shard: mostly all wanted, or none
                keep = wanted(table.column("view"), self._rows)
                count = pc.sum(keep).as_py() or 0
                table = table if count == len(table) else table.filter(keep)  # filtering copies the pixels
            if len(table):
                yield self._converter.batch(table)


@functools.cache
def torch_stream_class() -> type:
    """PixelStream as a torch IterableDataset, so that a DataLoader iterates it (as it does datasets'
    IterableDataset); made on first use, so that torch is imported only when it is used."""
    import torch.utils.data

    return type("TorchPixelStream", (PixelStream, torch.utils.data.IterableDataset), {"__module__": __name__})


def stream_class() -> type:
    """The class of streamed pixel rows: a torch IterableDataset when torch is installed."""
    return torch_stream_class() if datasets.config.TORCH_AVAILABLE else PixelStream


def __getattr__(name: str) -> type:
    """`TorchPixelStream`, made on first use, for pickle to find (DataLoader workers started by spawn)."""
    if name == "TorchPixelStream" and datasets.config.TORCH_AVAILABLE:
        return torch_stream_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
