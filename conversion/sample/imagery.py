"""Synthetic image material for the sample archive: Bayer sampling, processed views, TIFF and DNG files."""

import io
from collections.abc import Iterator

import numpy as np
import tifffile
from PIL import Image

from ..images import encode_png
from ..processing.reference import all_views


def bayer_sample(rgb: np.ndarray) -> np.ndarray:
    """RGGB Bayer sampling of an RGB image."""
    mosaic = rgb[..., 1].copy()
    mosaic[0::2, 0::2] = rgb[0::2, 0::2, 0]
    mosaic[1::2, 1::2] = rgb[1::2, 1::2, 2]
    return mosaic


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], scale: int) -> np.ndarray:
    """Texture in [0, 1]: uniform noise on a grid of `scale`-pixel cells, upsampled smoothly to `shape`."""
    grid = rng.random((max(2, shape[0] // scale), max(2, shape[1] // scale)), dtype=np.float32)
    texture = np.asarray(Image.fromarray(grid).resize(shape[::-1], Image.Resampling.BICUBIC))
    return np.clip(texture, 0, 1)


def to_uint16(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 65535).astype(np.uint16)


def processed_views(full: np.ndarray, camera: str, view_dtype: str) -> Iterator[tuple[str, np.ndarray]]:
    """The twelve processed views of the full-intensity mosaic by the authors' pipelines (archive folder name,
    RGB rounded to `view_dtype`'s full scale)."""
    scale = np.iinfo(view_dtype).max
    for pipeline, rgb in all_views(full, camera).items():
        yield pipeline.replace("-", "_"), np.rint(rgb * scale).astype(view_dtype)


def view_bytes(pixels: np.ndarray) -> bytes:
    """A processed view's file: 8-bit PNG (zlib level 1: noisy views take 4x longer at the default level, and
    the sample writes ~800 of them) or 16-bit TIFF."""
    return encode_png(pixels, compress_level=1) if pixels.dtype == np.uint8 else tiff_bytes(pixels)


def tiff_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, photometric="rgb" if array.ndim == 3 else "minisblack")
    return buffer.getvalue()


def float_tiff_bytes(array: np.ndarray) -> bytes:
    """A 32-bit float TIFF (Pillow mode F) of the values, as the authors' tile writer saves tiles."""
    buffer = io.BytesIO()
    Image.fromarray(array.astype(np.float32)).save(buffer, format="TIFF")
    return buffer.getvalue()


# DNG tags of a minimal single-channel CFA DNG that LibRaw reads (TIFF/EP and DNG 1.4 specification).
_CFA_PHOTOMETRIC = 32803
_IDENTITY_MATRIX = (1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1)  # 3x3 SRATIONAL numerator/denominator


def dng_bytes(mosaic: np.ndarray, white_level: int = 65535) -> bytes:
    """An uncompressed RGGB DNG of a uint16 mosaic, as a camera would write it."""
    tags = [
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern: R G / G B
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, "B", 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (50708, "s", 0, "Lens2Logit synthetic camera", True),  # UniqueCameraModel
        (50717, "I", 1, white_level, True),  # WhiteLevel
        (50721, "2i", 9, _IDENTITY_MATRIX, True),  # ColorMatrix1
    ]
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, mosaic, photometric=_CFA_PHOTOMETRIC, subfiletype=0, extratags=tags, metadata=None)
    return buffer.getvalue()
