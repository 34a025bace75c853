"""Streamed pixel rows: the stream's Arrow batches, the other kind of rows dropped in Arrow."""

import copy
import functools
import sys
from collections.abc import Iterator

import datasets
import pyarrow.compute as pc

from .batches import Converter, rows_of, wanted


class PixelStream:
    """Streamed rows of one kind: Arrow batches of the stream, the other rows dropped in Arrow."""

    def __init__(self, stream: datasets.IterableDataset, converter: Converter, rows: str):
        self._stream, self._converter, self._rows = stream.with_format("arrow"), converter, rows
        self._whole_batches = None  # when set, iteration gives batches of this many rows, not rows

    def __iter__(self) -> Iterator[dict]:
        if self._whole_batches:
            yield from self.iter(self._whole_batches)
            return
        for batch in self.iter(self._converter.rows_per_read):
            yield from rows_of(batch)

    def batched(self, batch_size: int) -> "PixelStream":
        """These rows as an iterable of whole batches of at most `batch_size` rows: what `loader` gives a torch
        DataLoader (`batch_size=None`), so that a worker hands each batch over at once."""
        batches = copy.copy(self)
        batches._whole_batches = batch_size
        return batches

    def iter(self, batch_size: int) -> Iterator[dict]:
        """Batches of at most `batch_size` rows, each a dict of stacked arrays; inside a torch DataLoader
        worker, of that worker's shards only."""
        part = self._part()
        for table in part.iter(batch_size=batch_size) if part is not None else ():
            if "view" in table.column_names:  # batches come shard by shard: mostly all wanted, or none
                keep = wanted(table.column("view"), self._rows)
                count = pc.sum(keep).as_py() or 0
                table = table if count == len(table) else table.filter(keep)  # filtering copies the pixels
            if len(table):
                yield self._converter.batch(table)

    def _part(self) -> datasets.IterableDataset | None:
        """The part of the stream this process reads: all of it, or inside a torch DataLoader worker the
        shards `datasets` gives that worker (every `num_workers`-th from its `id`), None when there are more
        workers than shards and this one has none. `datasets` splits its own row iteration so, but not
        `iter`, which this reads."""
        worker = sys.modules["torch.utils.data"].get_worker_info() if "torch.utils.data" in sys.modules else None
        if worker is None or worker.num_workers == 1:
            return self._stream
        if worker.id >= self._stream.num_shards:
            return None
        part = self._stream.shard(num_shards=worker.num_workers, index=worker.id, contiguous=False)
        part.set_epoch(self._stream.epoch)
        return part


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
