"""Write Arrow tables of one condition to Parquet shards with the package's fixed settings."""

from collections.abc import Iterable
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import Lens2LogitError
from ..facts import MAX_ROW_GROUP_BYTES, MAX_SHARD_BYTES
from ..naming import shard_stem

_PARTIAL = ".parquet.partial"


def _leaf_path(name: str, feature) -> str:
    """Parquet column path of an array feature's values: `raw.list.element.list.element`."""
    return name + ".list.element" * len(feature.shape)


def writer_options(features: datasets.Features) -> dict:
    """zstd everywhere; raw uint16 arrays DELTA_BINARY_PACKED without dictionary (BYTE_STREAM_SPLIT on
    integers is smaller but DuckDB 1.5, the Hub viewer's, cannot read it); statistics on scalars."""
    raw_arrays = [name for name, feature in features.items() if isinstance(feature, datasets.Array2D)]
    scalars = [name for name, feature in features.items() if isinstance(feature, (datasets.Value, datasets.ClassLabel))]
    return {
        "compression": "zstd",
        "use_dictionary": [name for name in features if name not in raw_arrays],
        "column_encoding": {_leaf_path(name, features[name]): "DELTA_BINARY_PACKED" for name in raw_arrays},
        "write_statistics": scalars,
    }


def write_shards(
    tables: Iterable[pa.Table],
    folder: Path,
    condition: str,
    features: datasets.Features,
    tables_per_shard: int | None = None,
) -> list[Path]:
    """Write each table as one row group, starting a new shard before one would pass MAX_SHARD_BYTES
    (or after `tables_per_shard` tables).

    Shards are named `{shard_stem(condition)}-{i:05d}-of-{n:05d}.parquet` (e.g.
    `00-raw_scale100-00000-of-00001.parquet`) once all are written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    options = writer_options(features)
    partials: list[Path] = []
    sink = writer = None
    in_shard = 0
    try:
        for table in tables:
            if table.nbytes > MAX_ROW_GROUP_BYTES:
                raise Lens2LogitError(f"{condition}: a row group of {table.nbytes} bytes exceeds {MAX_ROW_GROUP_BYTES}")
            if writer is not None and (sink.tell() + table.nbytes > MAX_SHARD_BYTES or in_shard == tables_per_shard):
                writer.close()
                sink.close()
                writer = None
            if writer is None:
                partials.append(folder / f"{shard_stem(condition)}-{len(partials):05d}{_PARTIAL}")
                sink = partials[-1].open("wb")
                writer = pq.ParquetWriter(sink, features.arrow_schema, **options)
                in_shard = 0
            writer.write_table(table, row_group_size=len(table))
            in_shard += 1
    finally:
        if writer is not None:
            writer.close()
        if sink is not None:
            sink.close()
    shards = [path.with_name(path.name.replace(_PARTIAL, f"-of-{len(partials):05d}.parquet")) for path in partials]
    for partial, shard in zip(partials, shards, strict=True):
        partial.rename(shard)
    return shards
