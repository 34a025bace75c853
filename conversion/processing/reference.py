"""The numpy reference of the twelve pipelines (see `recipe`): one mosaic (H, W) -> (H, W, 3) float64,
computed with the libraries the authors used (colour-demosaicing, scipy, scikit-image)."""

import functools
import warnings

import numpy as np
from scipy import ndimage
from scipy.signal import convolve2d
from skimage.color import rgb2yuv, yuv2rgb
from skimage.filters import unsharp_mask

from ..errors import InvalidArgumentError
from ..facts import BAYER_PATTERN, DEMOSAICING, DENOISING, SHARPENING
from .recipe import (
    GAMMA,
    GAUSSIAN_DENOISING_SIGMA,
    MEDIAN_SIZE,
    RAW_FULL_SCALE,
    SHARPENING_KERNEL,
    UNSHARP_AMOUNT,
    UNSHARP_RADIUS,
    Camera,
    Pipeline,
    camera_of,
    check_raw_values,
    check_unsharp,
)


def normalised(raw: np.ndarray) -> np.ndarray:
    """The mosaic as float64 in [0, 1], after checking its shape and values (`check_raw_values`)."""
    if raw.ndim != 2 or raw.shape[0] % 2 or raw.shape[1] % 2 or not raw.size:
        raise InvalidArgumentError(
            f"a raw mosaic is 2-D with even, non-zero sides (whole RGGB quads), got shape {raw.shape}"
        )
    kind = raw.dtype.kind
    extremes = (float(raw.min()), float(raw.max())) if kind in "uif" else (0.0, 0.0)
    check_raw_values(raw.dtype.name, kind, *extremes)
    if kind in "ui":
        return raw / RAW_FULL_SCALE
    return raw.astype(np.float64)


@functools.cache
def _demosaicing() -> dict:
    """colour-demosaicing's three functions by name, imported on first use: colour imports matplotlib's pyplot
    when matplotlib is installed (which writes a font cache under $HOME), and warns when it is not."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from colour_demosaicing import (
            demosaicing_CFA_Bayer_bilinear,
            demosaicing_CFA_Bayer_Malvar2004,
            demosaicing_CFA_Bayer_Menon2007,
        )

    functions = (demosaicing_CFA_Bayer_bilinear, demosaicing_CFA_Bayer_Malvar2004, demosaicing_CFA_Bayer_Menon2007)
    return dict(zip(DEMOSAICING, functions, strict=True))


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
    return _demosaicing()[method](mosaic, BAYER_PATTERN)


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
