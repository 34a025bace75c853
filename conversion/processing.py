"""The authors' twelve raw-processing pipelines: an RGGB mosaic to float RGB in [0, 1].

Recipe (the authors' `processing/pipeline_numpy.py`): black level per Bayer site, demosaicing
(colour-demosaicing's bilinear, Malvar 2004 or Menon 2007), white balance, colour matrix, sharpening
of Y (scikit-image YUV: a 3x3 filter or unsharp masking), denoising of Y (median 3x3 or Gaussian
sigma 0.5), clip to [0, 1], gamma 1/2.2.

`process` takes one numpy mosaic (H, W) and returns (H, W, 3) float64, computed here with the
libraries the authors used; given a torch tensor (H, W) or (B, H, W) it runs the batched torch
port (`conversion.processing_torch`) and returns (3, H, W) or (B, 3, H, W) float32.

Unsharp masking has two variants. `"columns"` (the default) is what the authors' call
`unsharp_mask(Y, radius=1, amount=1, multichannel=True, preserve_range=True)` computed under their
scikit-image 0.18.1: the 2-D Y plane's columns taken as channels, each blurred on its own by a 1-D
Gaussian (sigma 1, `reflect` border) down the rows. `"2d"` is the recipe as written: a 2-D Gaussian.

Border handling, as each library does it: bilinear and Malvar 2004 use `scipy.ndimage.convolve`'s
default `reflect` (d c b a | a b c d); Menon 2007 uses `mirror` (d c b | a b c d) for its filters,
zeros for its direction classifier; the 3x3 sharpening filter pads with zeros (`convolve2d`,
`fill`); the Gaussians and the median use `reflect`.
"""

import sys
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage
from scipy.signal import convolve2d
from skimage.color import rgb2yuv, yuv2rgb
from skimage.filters import unsharp_mask

with warnings.catch_warnings():  # colour warns on import that matplotlib (plotting only) is absent
    warnings.simplefilter("ignore")
    from colour_demosaicing import (
        demosaicing_CFA_Bayer_bilinear,
        demosaicing_CFA_Bayer_Malvar2004,
        demosaicing_CFA_Bayer_Menon2007,
    )

from conversion.constants import BAYER_PATTERN, CAMERA, DEMOSAICING, DENOISING, PROCESSED_VIEWS, SHARPENING
from conversion.errors import Lens2LogitError

PIPELINES = PROCESSED_VIEWS  # `<demosaicing>-<sharpening>-<denoising>`, the names of the archive's views
UNSHARP_VARIANTS = ("columns", "2d")
SHARPENING_KERNEL = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64)
UNSHARP_RADIUS = 1.0
UNSHARP_AMOUNT = 1.0
MEDIAN_SIZE = 3
GAUSSIAN_DENOISING_SIGMA = 0.5
GAMMA = 2.2
RAW_FULL_SCALE = 65535  # integer mosaics are divided by this; float mosaics are taken as normalised


@dataclass(frozen=True)
class Camera:
    """Parameters of the authors' processing for one dataset; fields may be torch tensors (to learn them)."""

    black_level: Any  # 4 values, one per RGGB site (R, G, G, B), normalised units
    white_balance: Any  # 3 gains, R G B
    colour_matrix: Any  # 9 values, 3x3 row-major, applied as rgb @ M.T


CAMERAS = {
    name: Camera(tuple(values["black_level"]), tuple(values["white_balance"]), tuple(values["colour_matrix"]))
    for name, values in CAMERA.items()
}


@dataclass(frozen=True)
class Pipeline:
    demosaicing: str
    sharpening: str
    denoising: str


def parse_pipeline(name: str) -> Pipeline:
    """The three steps of a pipeline name such as `menon2007-unsharp_masking-median_denoising`."""
    if name not in PIPELINES:
        raise Lens2LogitError(f"unknown pipeline {name!r}; choose one of {', '.join(PIPELINES)}")
    return Pipeline(*name.split("-"))


def camera_of(camera: "str | Camera") -> Camera:
    """A Camera, given one or a config name (`microscopy`, `drone`, `drone_full`, `drone_classification`)."""
    if isinstance(camera, Camera):
        return camera
    dataset = "drone" if str(camera).startswith("drone") else camera
    if dataset not in CAMERAS:
        raise Lens2LogitError(f"unknown camera {camera!r}; give a config name ({', '.join(CAMERAS)}) or a Camera")
    return CAMERAS[dataset]


def check_unsharp(unsharp: str) -> None:
    if unsharp not in UNSHARP_VARIANTS:
        raise Lens2LogitError(f"unsharp must be one of {UNSHARP_VARIANTS}, got {unsharp!r}")


def process(raw, pipeline: str, camera: "str | Camera" = "microscopy", unsharp: str = "columns"):
    """RGB in [0, 1] of a raw RGGB mosaic by one of the twelve pipelines (see the module docstring).

    Args:
        raw: numpy (H, W), or torch (H, W) / (B, H, W); integers are divided by 65535.
        pipeline: one of PIPELINES, e.g. `bilinear-unsharp_masking-median_denoising`.
        camera: a config name (its dataset's parameters, CAMERAS) or a Camera.
        unsharp: `columns` (what the authors' environment computed) or `2d` (the recipe as written).
    """
    steps, camera = parse_pipeline(pipeline), camera_of(camera)
    check_unsharp(unsharp)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(raw, torch.Tensor):
        from conversion.processing_torch import process_batch

        batch = process_batch(raw[None] if raw.ndim == 2 else raw, steps, camera, unsharp)
        return batch[0] if raw.ndim == 2 else batch
    return process_numpy(np.asarray(raw), steps, camera, unsharp)


def normalised(raw: np.ndarray) -> np.ndarray:
    if raw.ndim != 2 or raw.shape[0] % 2 or raw.shape[1] % 2:
        raise Lens2LogitError(f"a raw mosaic is 2-D with even sides (whole RGGB quads), got shape {raw.shape}")
    if np.issubdtype(raw.dtype, np.integer):
        return raw / RAW_FULL_SCALE
    return raw.astype(np.float64)


_DEMOSAIC = dict(
    zip(
        DEMOSAICING,
        (demosaicing_CFA_Bayer_bilinear, demosaicing_CFA_Bayer_Malvar2004, demosaicing_CFA_Bayer_Menon2007),
        strict=True,
    )
)


def process_numpy(raw: np.ndarray, steps: Pipeline, camera: Camera, unsharp: str) -> np.ndarray:
    """The numpy reference for one mosaic: (H, W) -> (H, W, 3) float64."""
    rgb = demosaic(remove_black_level(normalised(raw), camera.black_level), steps.demosaicing)
    return finish(sharpen(correct_colour(rgb, camera), steps.sharpening, unsharp), steps.denoising)


def all_views(
    raw, camera: "str | Camera" = "microscopy", unsharp: str = "columns", sharpening_methods=SHARPENING
) -> dict[str, np.ndarray]:
    """The pipelines' RGB of one numpy mosaic, {pipeline: (H, W, 3) float64}, all twelve or those of
    `sharpening_methods`: the same numbers as `process` per pipeline, each demosaicing and sharpening
    computed once."""
    camera = camera_of(camera)
    check_unsharp(unsharp)
    black = remove_black_level(normalised(np.asarray(raw)), camera.black_level)
    views = {}
    for demosaicing in DEMOSAICING:
        rgb = correct_colour(demosaic(black, demosaicing), camera)
        for sharpening in sharpening_methods:
            sharp = sharpen(rgb, sharpening, unsharp)
            for denoising in DENOISING:
                views[f"{demosaicing}-{sharpening}-{denoising}"] = finish(sharp, denoising)
    return views


def sharpen(rgb: np.ndarray, method: str, unsharp: str) -> np.ndarray:
    return on_luma(rgb, sharpening_filter if method == "sharpening_filter" else UNSHARP[unsharp])


def finish(rgb: np.ndarray, denoising: str) -> np.ndarray:
    """Denoise Y, clip to [0, 1], gamma 1/2.2."""
    return np.clip(on_luma(rgb, DENOISE[denoising]), 0, 1) ** (1 / GAMMA)


def remove_black_level(mosaic: np.ndarray, black_level) -> np.ndarray:
    """Subtract the black level of each RGGB site (R, G, G, B); no clip."""
    out = mosaic.copy()
    for (row, col), level in zip(((0, 0), (0, 1), (1, 0), (1, 1)), black_level, strict=True):
        out[row::2, col::2] -= level
    return out


def demosaic(mosaic: np.ndarray, method: str) -> np.ndarray:
    return _DEMOSAIC[method](mosaic, BAYER_PATTERN)


def correct_colour(rgb: np.ndarray, camera: Camera) -> np.ndarray:
    """White balance per channel, then the colour matrix (rgb @ M.T)."""
    matrix = np.asarray(camera.colour_matrix, dtype=np.float64).reshape(3, 3)
    return (rgb * np.asarray(camera.white_balance, dtype=np.float64)) @ matrix.T


def on_luma(rgb: np.ndarray, step) -> np.ndarray:
    """Apply `step` to the Y plane of scikit-image's YUV, then back to RGB."""
    yuv = rgb2yuv(rgb)
    yuv[..., 0] = step(yuv[..., 0])
    return yuv2rgb(yuv)


def sharpening_filter(luma: np.ndarray) -> np.ndarray:
    return convolve2d(luma, SHARPENING_KERNEL, mode="same", boundary="fill", fillvalue=0)


def unsharp_masking_columns(luma: np.ndarray) -> np.ndarray:
    """scikit-image 0.18.1's unsharp_mask with multichannel=True on a 2-D plane: each column blurred alone."""
    blurred = ndimage.gaussian_filter1d(luma, sigma=UNSHARP_RADIUS, axis=0, mode="reflect")
    return luma + (luma - blurred) * UNSHARP_AMOUNT


def unsharp_masking_2d(luma: np.ndarray) -> np.ndarray:
    return unsharp_mask(luma, radius=UNSHARP_RADIUS, amount=UNSHARP_AMOUNT, preserve_range=True)


UNSHARP = {"columns": unsharp_masking_columns, "2d": unsharp_masking_2d}
DENOISE = {
    "median_denoising": lambda luma: ndimage.median_filter(luma, size=MEDIAN_SIZE),
    "gaussian_denoising": lambda luma: ndimage.gaussian_filter(luma, sigma=GAUSSIAN_DENOISING_SIGMA),
}
