"""`pixels`: the raw rows (or processed-view rows) of a Lens2Logit dataset with exact numpy or torch pixels,
read a batch at a time: map-style from numpy views of the memory-mapped Arrow table (one numpy `take` a
batch, or a view of consecutive rows; no per-row step), streamed from the stream's Arrow batches (view
rows dropped in Arrow, never decoded)."""

import functools
from collections.abc import Sequence

import datasets

from ..errors import ArgumentTypeError, InvalidArgumentError, import_optional
from ..processing.dispatch import process
from ..processing.recipe import check_unsharp, parse_pipeline
from .batches import Converter
from .rows import PixelRows
from .stream import stream_class

FRAMEWORKS = ("numpy", "torch")
ROW_KINDS = ("raw", "views")
PIXEL_COLUMNS = ("raw", "rgb")


def pixels(
    dataset,
    framework: str = "numpy",
    rows: str = "raw",
    columns: Sequence[str] | None = None,
    pipeline: str | None = None,
    unsharp: str = "columns",
):
    """The raw rows (or the processed-view rows) of one split of a Lens2Logit config, with their pixels as
    arrays holding exactly the stored values, read a batch at a time.

    Map-style datasets give map-style rows (`PixelRows`): `len`, `[i]` (a row), `[i:j]` or `[[i, j, ...]]`
    (a batch of stacked arrays, read at once), `iter(batch_size)` and row iteration; numpy pixels of
    consecutive rows are read-only views of the Arrow cache. `loader` makes a torch DataLoader of them that
    reads whole batches. Streamed datasets (`streaming=True`) give an iterable of rows with
    `iter(batch_size)`, a torch IterableDataset when torch is installed; the other kind of rows is dropped
    in Arrow, never decoded. `stream(...)` gives a stream of only the shards of one kind of rows and only
    the columns read; a stream of both kinds needs its `view` column, which tells them apart.

    Args:
        dataset: one split, loaded (`datasets.Dataset`) or streamed (`datasets.IterableDataset`).
        framework: `"numpy"` or `"torch"`.
        rows: `"raw"` (the raw captures, at every intensity) or `"views"` (the processed views).
        columns: the other columns to keep (default: all but the other pixel column). Numbers come as numpy
            arrays (torch tensors), strings as lists, images (`preview`, `mask`) as PIL images, decoded row
            by row: leave images out when they are not needed.
        pipeline: one of `PIPELINES`: the raw rows processed by that pipeline (`process`, with the dataset's
            camera), `raw` replaced by `rgb`, float in [0, 1]; numpy by the reference, torch by the batched port.
        unsharp: the unsharp-masking variant of `pipeline`: `"columns"` (the default) or `"2d"`.

    Returns:
        The rows as dicts: the pixel column (`raw`, `rgb` for views or `pipeline`) first, then `columns`.

    Raises:
        ArgumentTypeError: `dataset` is not one split of a dataset (a TypeError).
        InvalidArgumentError: an unknown framework, kind of rows, pipeline or unsharp variant, views of a
            config that has none, or a pipeline with views (a ValueError); also rows of both kinds without a
            `view` column to tell them apart (rows of a loaded dataset's own table at once, others at the
            first batch holding such rows).

    Shape:
        - numpy: raw mosaics (H, W) uint16, full frames included; views (H, W, 3) uint8 (uint16 for 16-bit
          views); `pipeline` (H, W, 3) float64.
        - torch: raw mosaics (H, W) int32 (torch has no full uint16 support; int32 holds every value); views
          (3, H, W) uint8 (int32); `pipeline` (3, H, W) float32.
        - A batch stacks its rows: (n, H, W) and so on. Map-style and streamed give the same.

    Examples:
        >>> import datasets
        >>> import numpy as np
        >>> from lens2logit import pixels
        >>> features = datasets.Features(
        ...     {"raw": datasets.Array2D((4, 4), "uint16"), "label": datasets.ClassLabel(names=["a", "b"])}
        ... )
        >>> mosaics = [np.full((4, 4), value, np.uint16) for value in (7, 65535)]
        >>> split = datasets.Dataset.from_dict({"raw": mosaics, "label": [0, 1]}, features=features)
        >>> rows = pixels(split)
        >>> batch = rows[0:2]
        >>> batch["raw"].dtype, batch["raw"].shape, int(batch["raw"][1, 0, 0]), batch["label"].tolist()
        (dtype('uint16'), (2, 4, 4), 65535, [0, 1])
        >>> row = pixels(split, "torch")[1]
        >>> row["raw"].dtype, int(row["raw"][0, 0])
        (torch.int32, 65535)
        >>> streamed = pixels(split.to_iterable_dataset(), "torch")
        >>> [int(batch["raw"][:, 0, 0].sum()) for batch in streamed.iter(batch_size=2)]
        [65542]
    """
    if not isinstance(dataset, (datasets.Dataset, datasets.IterableDataset)):
        raise ArgumentTypeError(
            f"pixels takes a datasets.Dataset or IterableDataset (one split), got {type(dataset).__name__}"
        )
    if framework not in FRAMEWORKS:
        raise InvalidArgumentError(f"framework must be one of {FRAMEWORKS}, got {framework!r}")
    if framework == "torch":
        import_optional("torch", "torch", 'pixels(..., "torch")')
    if rows not in ROW_KINDS:
        raise InvalidArgumentError(f"rows must be one of {ROW_KINDS}, got {rows!r}")
    if rows == "views" and "view" not in dataset.features:
        raise InvalidArgumentError(
            "this dataset has no processed views (drone_full and drone_classification hold raw rows only), or its "
            "'view' column was left out: keep 'view' in the columns read"
        )
    if pipeline is not None and rows != "raw":
        raise InvalidArgumentError(f"pipeline={pipeline!r} processes raw rows; it cannot be given with rows={rows!r}")
    column = PIXEL_COLUMNS[ROW_KINDS.index(rows)]
    wanted = list(dataset.features) if columns is None else list(columns)
    for name in (column, *wanted):
        if name not in dataset.features:
            raise InvalidArgumentError(
                f"this dataset has no column {name!r} (its columns: {', '.join(dataset.features)}); pixels reads "
                f"`raw` (`rgb` for views) and the `columns` asked for of a split of a Lens2Logit config"
            )
    kept = [column, *(name for name in wanted if name not in PIXEL_COLUMNS)]
    processing = None
    if pipeline is not None:
        parse_pipeline(pipeline)
        check_unsharp(unsharp)
        camera = "drone" if "frame_id" in dataset.features else "microscopy"
        processing = functools.partial(process, pipeline=pipeline, camera=camera, unsharp=unsharp)
    converter = Converter(dataset.features, kept, framework, processing)
    read = kept + (["view"] if "view" in dataset.features and "view" not in kept else [])
    if isinstance(dataset, datasets.IterableDataset):
        return stream_class()(dataset.select_columns(read), converter, rows)
    return PixelRows(dataset, read, converter, rows)
