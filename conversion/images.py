"""Decode source images with checks, and encode the PNG/JPEG bytes stored in the package."""

import io

import numpy as np
import tifffile
from PIL import Image

from conversion.constants import PREVIEW_SIZE
from conversion.errors import ImageFormatError

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PREVIEW_QUALITY = 90


def _check(array: np.ndarray, shape: tuple[int, ...], dtypes: tuple[str, ...], where: str) -> np.ndarray:
    if array.shape != shape or array.dtype.name not in dtypes:
        raise ImageFormatError(
            f"{where}: expected {'/'.join(dtypes)} of shape {shape}, found {array.dtype.name} of shape {array.shape}"
        )
    return array


def _png_header(data: bytes) -> tuple[int, int] | None:
    """(bit depth, colour type) of PNG bytes, None for anything else."""
    return (data[24], data[25]) if data.startswith(_PNG_SIGNATURE) else None


def decode_tiff(data: bytes, where: str) -> np.ndarray:
    try:
        return tifffile.imread(io.BytesIO(data))
    except Exception as exc:
        raise ImageFormatError(f"{where}: cannot read as TIFF: {exc}") from exc


def decode_raw(data: bytes, shape: tuple[int, int], where: str) -> np.ndarray:
    """A raw Bayer mosaic: single-channel uint16 of `shape`, values exactly as stored."""
    return _check(decode_tiff(data, where), shape, ("uint16",), where)


def decode_view(data: bytes, shape: tuple[int, int], where: str) -> np.ndarray:
    """A processed RGB view (PNG or TIFF), uint8 or uint16, values exactly as stored."""
    if (header := _png_header(data)) is not None:
        if header[0] == 16 and header[1] in (2, 6):  # 16-bit RGB / RGBA
            raise ImageFormatError(
                f"{where}: 16-bit colour PNG cannot be decoded losslessly with Pillow; store 16-bit views as TIFF"
            )
        try:
            with Image.open(io.BytesIO(data)) as image:
                array = np.asarray(image)
        except Exception as exc:
            raise ImageFormatError(f"{where}: cannot read as PNG: {exc}") from exc
    else:
        array = decode_tiff(data, where)
    return _check(array, (*shape, 3), ("uint8", "uint16"), where)


def encode_png(array: np.ndarray) -> bytes:
    """Lossless PNG of an 8-bit RGB or grayscale array."""
    image = Image.fromarray(array)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def view_png(data: bytes, pixels: np.ndarray) -> bytes:
    """PNG bytes of an 8-bit view: the source file itself when it is an 8-bit RGB PNG."""
    if _png_header(data) == (8, 2):  # 8-bit RGB
        return data
    return encode_png(pixels)


def _jpeg(rgb: np.ndarray) -> bytes:
    image = Image.fromarray(rgb)
    image.thumbnail(PREVIEW_SIZE, Image.Resampling.BOX)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=_PREVIEW_QUALITY)
    return buffer.getvalue()


def raw_preview(mosaic: np.ndarray) -> bytes:
    """8-bit quick-look of an RGGB mosaic: half-resolution demosaic, per-channel stretch, gamma."""
    mosaic = mosaic.astype(np.float32)
    green = (mosaic[0::2, 1::2] + mosaic[1::2, 0::2]) / 2
    rgb = np.stack([mosaic[0::2, 0::2], green, mosaic[1::2, 1::2]], axis=-1)
    white = np.maximum(np.percentile(rgb, 99.5, axis=(0, 1)), 1.0)
    rgb = np.clip(rgb / white, 0.0, 1.0) ** (1 / 2.2)
    return _jpeg((rgb * 255 + 0.5).astype(np.uint8))


def view_preview(pixels: np.ndarray) -> bytes:
    """8-bit quick-look of a processed view (16-bit views keep their top 8 bits)."""
    if pixels.dtype == np.uint16:
        pixels = (pixels >> 8).astype(np.uint8)
    return _jpeg(pixels)
