"""Seeded percentile bootstrap over images, the same resamples for every condition, so that a difference of
two conditions is paired (both computed on the same resampled images).

scipy.stats.bootstrap is not used: it draws anew for every statistic, so differences would not be paired
across the table, and its interval is NaN once one resample leaves a metric undefined (a resample without an
image of a class), where this one leaves such resamples out.
"""

import warnings

import numpy as np

from ..errors import InvalidArgumentError


def draws(images: int, resamples: int, seed: int) -> np.ndarray:
    """(1 + resamples, images) positions: row 0 the images themselves (the value), then `resamples` rows drawn
    with replacement by numpy's default generator seeded with `seed`."""
    if resamples < 1:
        raise InvalidArgumentError(f"resamples must be 1 or more, got {resamples}")
    drawn = np.random.default_rng(seed).integers(0, images, size=(resamples, images))
    return np.vstack([np.arange(images)[None], drawn])


def interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """The percentile interval of the resampled `values[1:]` (NaN resamples left out)."""
    with warnings.catch_warnings():  # a metric undefined in every resample: its interval is NaN
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
        low, high = np.nanquantile(values[1:], [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(low), float(high)


def check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise InvalidArgumentError(f"confidence must lie between 0 and 1, got {confidence}")
