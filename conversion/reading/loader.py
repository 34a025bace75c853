"""A torch DataLoader over map-style pixel rows that reads whole batches."""

from ..errors import ArgumentTypeError
from .rows import PixelRows


def loader(rows: PixelRows, batch_size: int, shuffle: bool = False, drop_last: bool = False, **options):
    """A torch DataLoader over map-style `pixels` rows that reads each batch with one call (`rows[indices]`)
    and hands it over whole, without splitting it into rows and stacking them again.

    Args:
        rows: map-style rows from `pixels(dataset, "torch", ...)` of a loaded (not streamed) dataset.
        batch_size: rows per batch.
        shuffle: a new random order of the rows every epoch.
        drop_last: leave out the last batch when it is smaller than `batch_size`.
        **options: passed to `torch.utils.data.DataLoader`, e.g. `num_workers=2`.

    Returns:
        A `torch.utils.data.DataLoader` whose batches are dicts of stacked tensors (strings as lists).

    Raises:
        ArgumentTypeError: `rows` are not map-style `pixels` rows, e.g. those of a streamed dataset (a TypeError).

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
    """
    if not isinstance(rows, PixelRows):
        raise ArgumentTypeError(
            f"loader takes the map-style rows of pixels(dataset) of a loaded dataset, got {type(rows).__name__}; "
            "a streamed dataset's pixels(stream, 'torch') is a torch IterableDataset already: iterate "
            "pixels(stream, 'torch').iter(batch_size), or give it to torch.utils.data.DataLoader(..., batch_size=None)"
        )
    import torch.utils.data

    order = torch.utils.data.RandomSampler(rows) if shuffle else torch.utils.data.SequentialSampler(rows)
    batches = torch.utils.data.BatchSampler(order, batch_size, drop_last)
    return torch.utils.data.DataLoader(rows, batch_size=None, sampler=batches, **options)
