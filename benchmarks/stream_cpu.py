"""Where a stream's time goes: CPU milliseconds per 100 raw rows, one thread, against the decode floor.

    python benchmarks/stream_cpu.py [PACKAGE]

PACKAGE defaults to the real-count package `run.py` writes. Each way reads the first SHARDS raw shards of
microscopy train to their end (a scan left half-read can hang in pyarrow), five times; the best CPU time
of each is printed:
- floor: pyarrow's `ParquetFile.iter_batches` of the raw and label columns (`run.py`'s decode floor);
- fragment scan: the call `datasets`' Parquet reader makes (a `ParquetFileFormat` fragment's `to_batches`,
  one row group a batch, no read-ahead), of the columns a stream loaded with `columns=` reads;
- the same with `pre_buffer` off;
- `pixels(stream).iter(100)` of a stream of those shards loaded with `columns=`, numpy and torch, in this
  process.
On 2 cores, 2 workers cannot stream faster than 2 x (the floor's CPU a row) / (the stream's CPU a row).
"""

import argparse
import time
from pathlib import Path

import datasets
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from lens2logit import pixels

SHARDS = 3  # 2,265 rows at the real counts
PASSES = 5
COLUMNS = ["label", "view", "raw"]  # what the streams of docs/reading.md load


def floor(shards: list[Path]):
    for shard in shards:
        for batch in pq.ParquetFile(shard).iter_batches(100, columns=["raw", "label"]):
            batch.column("raw").storage.flatten().flatten().to_numpy()  # datasets is imported: an extension type
            yield len(batch)


def fragment_scan(shards: list[Path], options: ds.ParquetFragmentScanOptions | None = None):
    file_format = ds.ParquetFileFormat(default_fragment_scan_options=options)
    for shard in shards:
        with shard.open("rb") as file:
            fragment = file_format.make_fragment(file)
            size = fragment.row_groups[0].num_rows  # as datasets reads: a row group a batch
            for batch in fragment.to_batches(batch_size=size, columns=COLUMNS, batch_readahead=0, fragment_readahead=0):
                batch.column("raw").storage.flatten().flatten().to_numpy()
                yield len(batch)


def streamed(shards: list[Path], framework: str):
    files = [str(shard) for shard in shards]  # the features are in the shards' Arrow schema
    stream = datasets.load_dataset("parquet", data_files=files, split="train", streaming=True, columns=COLUMNS)
    for batch in pixels(stream, framework).iter(100):
        yield len(batch["raw"])


def cpu_ms_per_100_rows(rows) -> float:
    """The CPU time of reading the iterator `rows` (of batch lengths) to its end, per 100 rows."""
    start = time.process_time()
    seen = sum(rows)
    return (time.process_time() - start) / seen * 1e5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("package", type=Path, nargs="?", default=Path("/tmp/lens2logit-bench/package-1.0"))
    package = parser.parse_args().package
    shards = sorted((package / "microscopy/train").glob("*-raw_scale*.parquet"))[:SHARDS]
    if not shards:
        parser.error(f"{package} holds no microscopy/train raw shards: give a package, or run benchmarks/run.py first")
    ways = {
        "floor: ParquetFile.iter_batches": lambda: floor(shards),
        "fragment scan (datasets' call)": lambda: fragment_scan(shards),
        "fragment scan, pre_buffer off": lambda: fragment_scan(shards, ds.ParquetFragmentScanOptions(pre_buffer=False)),
        "pixels(stream).iter(100), numpy": lambda: streamed(shards, "numpy"),
        "pixels(stream).iter(100), torch": lambda: streamed(shards, "torch"),
    }
    best = {name: min(cpu_ms_per_100_rows(way()) for _ in range(PASSES)) for name, way in ways.items()}
    base = best["floor: ParquetFile.iter_batches"]
    for name, value in best.items():
        print(f"{name:36} {value:6.1f} ms CPU / 100 rows ({value / base:.2f}x the floor)")  # noqa: T201


if __name__ == "__main__":
    main()
