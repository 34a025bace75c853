"""Arrow columns for `datasets` features, built straight from numpy and bytes."""

import datasets
import numpy as np
import pyarrow as pa


def _offsets(lengths) -> pa.Array:
    return pa.array(np.concatenate([[0], np.cumsum(lengths)]), type=pa.int32())


def array_column(arrays: list[np.ndarray | None], feature: datasets.Array2D | datasets.Array3D) -> pa.Array:
    """An Array2D/Array3D column (None -> null) in the extension type `datasets` reads back."""
    extension_type = feature()
    dtype = np.dtype(feature.dtype)
    valid = [array for array in arrays if array is not None]
    flat = np.stack(valid).reshape(-1) if valid else np.empty(0, dtype)
    values = pa.array(flat, type=pa.from_numpy_dtype(dtype))
    # One list level per inner dimension, innermost first; the outer level carries the nulls.
    for size in reversed(feature.shape[1:]):
        values = pa.ListArray.from_arrays(_offsets(np.full(len(values) // size, size)), values)
    nulls = [array is None for array in arrays]
    lengths = [0 if null else feature.shape[0] for null in nulls]
    storage = pa.ListArray.from_arrays(_offsets(lengths), values, mask=pa.array(nulls) if any(nulls) else None)
    return pa.ExtensionArray.from_storage(extension_type, storage.cast(extension_type.storage_type))


def image_column(encoded: list[bytes | None]) -> pa.Array:
    """An Image() column of already encoded bytes (None -> null)."""
    return pa.array(
        [None if data is None else {"bytes": data, "path": None} for data in encoded],
        type=datasets.Image().pa_type,
    )


def table(columns: dict[str, pa.Array | list], features: datasets.Features) -> pa.Table:
    """A table with exactly the schema (and `huggingface` metadata) `datasets` writes for `features`."""
    schema = features.arrow_schema
    arrays = [
        column if isinstance(column, pa.Array) else pa.array(column, type=schema.field(name).type)
        for name, column in ((name, columns[name]) for name in features)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)
