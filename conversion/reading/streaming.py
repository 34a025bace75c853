"""`stream`: a split streamed from only the shards and the column chunks it reads."""

from collections.abc import Sequence

import datasets
import pyarrow
import pyarrow.dataset

from ..errors import InvalidArgumentError
from ..facts import FULL_INTENSITY, INTENSITIES, PROCESSED_VIEWS
from ..naming import intensity_folder, shard_glob
from .pixels import PIXEL_COLUMNS, ROW_KINDS

# fsspec reads `block_size` bytes past each read it is asked for (5 MiB by default). pyarrow already asks for
# whole column chunks, so a small block keeps a stream to the chunks it reads and the footers.
BLOCK_SIZE = 64 << 10
# pyarrow fetches the next row group's chunks while the current one decodes (`datasets`' documented setting).
READ_AHEAD = pyarrow.CacheOptions(prefetch_limit=1, range_size_limit=128 << 20)


def conditions(rows: str, intensities, pipelines) -> list[str]:
    """The conditions (shard stems' names) of the rows asked for, in the package's row order."""
    if rows not in ROW_KINDS:
        raise InvalidArgumentError(f"rows must be one of {ROW_KINDS}, got {rows!r}")
    if rows == "raw":
        if pipelines is not None:
            raise InvalidArgumentError("pipelines= selects processed views; it cannot be given with rows='raw'")
        chosen = _known(INTENSITIES if intensities is None else intensities, INTENSITIES, "intensities")
        return [intensity_folder(intensity) for intensity in sorted(chosen, reverse=True)]
    if intensities is not None and _known(intensities, INTENSITIES, "intensities") != {FULL_INTENSITY}:
        raise InvalidArgumentError(f"processed views are of the full-intensity capture only ({FULL_INTENSITY})")
    chosen = _known(PROCESSED_VIEWS if pipelines is None else pipelines, PROCESSED_VIEWS, "pipelines")
    return [view for view in PROCESSED_VIEWS if view in chosen]


def _known(values, known: Sequence, name: str) -> set:
    """`values` (one value or a sequence of them), each one of `known`."""
    values = [values] if isinstance(values, (str, float, int)) else list(values)
    if not values or any(value not in known for value in values):
        raise InvalidArgumentError(f"{name} must be some of {', '.join(map(str, known))}; got {values}")
    return set(values)


def stream(
    path: str,
    config: str,
    split: str = "train",
    rows: str = "raw",
    intensities: Sequence[float] | float | None = None,
    pipelines: Sequence[str] | str | None = None,
    columns: Sequence[str] | None = None,
    **options,
) -> datasets.IterableDataset:
    """One split of a Lens2Logit package, streamed from only the shards that hold the rows asked for and
    only the column chunks read: `load_dataset(path, config, split=split, streaming=True, ...)` with the
    shards' names (`data_files=`), `columns=` and a small fsspec block size (`storage_options=`); pyarrow
    fetches the next row group while one decodes (`fragment_scan_options=`).

    A stream of the whole split reads every shard of it: the processed-view shards for raw rows too, and
    with fsspec's default 5 MiB read-ahead after each column chunk, most of their `rgb` bytes.

    Args:
        path: the package: a folder or a Hub id.
        config: `microscopy`, `drone`, `drone_full` or `drone_classification`.
        split: `train` or `test`.
        rows: `"raw"` (the raw captures) or `"views"` (the processed views, of the full-intensity capture).
        intensities: the intensities of the raw rows (default: all seven), a number or a list.
        pipelines: the processed views (default: all twelve), a name or a list of `PIPELINES`.
        columns: the columns read besides the pixels (`raw`, or `rgb` for views; `view` is added for views);
            default: all.
        **options: passed to `load_dataset`; `storage_options` are merged with the block size, and
            `fragment_scan_options` replace the read-ahead.

    Returns:
        A `datasets.IterableDataset` of those rows in the package's order, for `pixels`.

    Raises:
        InvalidArgumentError: an unknown kind of rows, intensity or pipeline, views at an intensity below
            1.00, or no shard of them in the package (drone_full and drone_classification hold raw rows only).
    """
    chosen = conditions(rows, intensities, pipelines)
    pixel = PIXEL_COLUMNS[ROW_KINDS.index(rows)]
    read = None if columns is None else [pixel, *(["view"] if rows == "views" else []), *columns]
    storage = options.pop("storage_options", None) or {}
    storage = {**storage, "hf": {"block_size": BLOCK_SIZE, **storage.get("hf", {})}}
    options.setdefault("fragment_scan_options", pyarrow.dataset.ParquetFragmentScanOptions(cache_options=READ_AHEAD))
    data_files = {split: [shard_glob(config, split, condition) for condition in chosen]}
    try:
        return datasets.load_dataset(
            path,
            config,
            split=split,
            streaming=True,
            data_files=data_files,
            columns=None if read is None else list(dict.fromkeys(read)),
            storage_options=storage,
            **options,
        )
    except datasets.exceptions.DataFilesNotFoundError:
        raise InvalidArgumentError(
            f"{path}: no shard matches {', '.join(data_files[split])}: the splits are train and test, and drone_full "
            "and drone_classification hold raw rows only"
        ) from None
