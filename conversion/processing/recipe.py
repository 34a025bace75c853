"""The authors' twelve raw-processing pipelines, as a recipe: an RGGB mosaic to float RGB in [0, 1].

Recipe (the authors' `processing/pipeline_numpy.py`): black level per Bayer site, demosaicing
(colour-demosaicing's bilinear, Malvar 2004 or Menon 2007), white balance, colour matrix, sharpening
of Y (scikit-image YUV: a 3x3 filter or unsharp masking), denoising of Y (median 3x3 or Gaussian
sigma 0.5), clip to [0, 1], gamma 1/2.2. `reference` computes it with numpy and the libraries the
authors used, the `torch_*` modules with a batched torch port, and `dispatch.process` picks one.

Unsharp masking has two variants. `"columns"` (the default) is what the authors' call
`unsharp_mask(Y, radius=1, amount=1, multichannel=True, preserve_range=True)` computed under their
scikit-image 0.18.1: the 2-D Y plane's columns taken as channels, each blurred on its own by a 1-D
Gaussian (sigma 1, `reflect` border) down the rows. `"2d"` is the recipe as written: a 2-D Gaussian.

Border handling, as each library does it: bilinear and Malvar 2004 use `scipy.ndimage.convolve`'s
default `reflect` (d c b a | a b c d); Menon 2007 uses `mirror` (d c b | a b c d) for its filters,
zeros for its direction classifier; the 3x3 sharpening filter pads with zeros (`convolve2d`,
`fill`); the Gaussians and the median use `reflect`.
"""

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ArgumentTypeError, InvalidArgumentError
from ..facts import CAMERA, PROCESSED_VIEWS

PIPELINES = PROCESSED_VIEWS  # `<demosaicing>-<sharpening>-<denoising>`, the names of the archive's views
UNSHARP_VARIANTS = ("columns", "2d")
SHARPENING_KERNEL = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64)
UNSHARP_RADIUS = 1.0
UNSHARP_AMOUNT = 1.0
MEDIAN_SIZE = 3
GAUSSIAN_DENOISING_SIGMA = 0.5
MEDIAN_WEIGHT = 1.0  # median_denoising's share of the median in Y; 1 is the recipe
GAMMA = 2.2
RAW_FULL_SCALE = 65535  # integer mosaics are divided by this; float mosaics are taken as normalised


@dataclass(frozen=True)
class Camera:
    """The camera parameters of the authors' processing; `CAMERAS` holds those of the two datasets.

    Any field may be a torch tensor, to learn it: the torch port of `process` keeps it in the graph.

    Args:
        black_level: 4 values, one per RGGB site (R, G, G, B), in normalised units, subtracted first.
        white_balance: 3 gains, R G B.
        colour_matrix: 9 values, the 3x3 matrix M row by row, applied as `rgb @ M.T`.

    Examples:
        >>> import numpy as np
        >>> from lens2logit import CAMERAS, Camera, process
        >>> CAMERAS["drone"].white_balance
        (2.86653646, 1.0, 1.73079425)
        >>> neutral = Camera((0, 0, 0, 0), white_balance=(1, 1, 1), colour_matrix=(1, 0, 0, 0, 1, 0, 0, 0, 1))
        >>> grey = process(np.full((8, 8), 0.25), "malvar2004-unsharp_masking-median_denoising", camera=neutral)
        >>> bool(np.allclose(grey, 0.25 ** (1 / 2.2)))
        True
    """

    black_level: Any
    white_balance: Any
    colour_matrix: Any


CAMERAS = {
    name: Camera(tuple(values["black_level"]), tuple(values["white_balance"]), tuple(values["colour_matrix"]))
    for name, values in CAMERA.items()
}


@dataclass(frozen=True)
class Tuning:
    """The numbers the recipe fixes for its steps; `RECIPE` holds the recipe's own. The torch port takes any of
    them as a tensor, kept in the graph: this is how `ProcessingModule` learns them.

    Args:
        gamma: the output is the clipped RGB ** (1 / gamma).
        sharpening_kernel: the 3x3 filter of `sharpening_filter`, convolved with Y (zeros beyond the border).
        unsharp_amount: unsharp masking's amount: Y + amount (Y - blurred Y).
        unsharp_radius: the sigma of unsharp masking's Gaussian (its support is scipy's, int(4 sigma + 0.5)).
        gaussian_sigma: the sigma of `gaussian_denoising`'s 2-D Gaussian.
        median_weight: `median_denoising` gives Y + weight (median3x3(Y) - Y); 1 is the median itself.
    """

    gamma: Any = GAMMA
    sharpening_kernel: Any = field(default_factory=SHARPENING_KERNEL.copy)
    unsharp_amount: Any = UNSHARP_AMOUNT
    unsharp_radius: Any = UNSHARP_RADIUS
    gaussian_sigma: Any = GAUSSIAN_DENOISING_SIGMA
    median_weight: Any = MEDIAN_WEIGHT


RECIPE = Tuning()


@dataclass(frozen=True)
class Pipeline:
    demosaicing: str
    sharpening: str
    denoising: str


def parse_pipeline(name: str) -> Pipeline:
    """The three steps of a pipeline name such as `menon2007-unsharp_masking-median_denoising`."""
    if name not in PIPELINES:
        raise InvalidArgumentError(f"unknown pipeline {name!r}; choose one of {', '.join(PIPELINES)}")
    return Pipeline(*name.split("-"))


def camera_of(camera: "str | Camera") -> Camera:
    """A Camera, given one or a config name (`microscopy`, `drone`, `drone_full`, `drone_classification`)."""
    if isinstance(camera, Camera):
        return camera
    dataset = "drone" if str(camera).startswith("drone") else camera
    if dataset not in CAMERAS:
        raise InvalidArgumentError(f"unknown camera {camera!r}; give a config name ({', '.join(CAMERAS)}) or a Camera")
    return CAMERAS[dataset]


def check_raw_values(dtype: str, kind: str, low: float, high: float) -> None:
    """Refuse a mosaic the pipelines would compute wrong. Raw values are integers in uint16's range, divided by
    RAW_FULL_SCALE, or floats already normalised to [0, 1]; `kind` is numpy's dtype kind (`u`, `i`, `f`, ...),
    `low` and `high` are the mosaic's extremes."""
    if kind not in "uif":
        raise ArgumentTypeError(
            f"raw mosaics are integers (0 to {RAW_FULL_SCALE}) or floats normalised to [0, 1], got dtype {dtype}"
        )
    if kind == "f" and not (math.isfinite(low) and math.isfinite(high)):
        raise InvalidArgumentError(f"the {dtype} mosaic holds NaN or infinity; raw values are finite")
    if kind == "f" and (low < 0 or high > 1):
        raise InvalidArgumentError(
            f"the {dtype} mosaic holds values from {low:g} to {high:g}, but float mosaics are taken as normalised "
            f"to [0, 1]: divide uint16 values by {RAW_FULL_SCALE}, or pass them as integers"
        )
    if kind != "f" and (low < 0 or high > RAW_FULL_SCALE):
        raise InvalidArgumentError(
            f"the {dtype} mosaic holds values from {low:g} to {high:g}, outside uint16's 0 to {RAW_FULL_SCALE}"
        )


def check_unsharp(unsharp: str) -> None:
    if unsharp not in UNSHARP_VARIANTS:
        raise InvalidArgumentError(f"unsharp must be one of {UNSHARP_VARIANTS}, got {unsharp!r}")
