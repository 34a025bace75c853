"""Decode source images with checks, and encode the PNG/JPEG bytes stored in the package."""

import io

import numpy as np
import rawpy
import tifffile
from PIL import Image, UnidentifiedImageError

from .errors import ImageFormatError
from .facts import BAYER_PATTERN, PREVIEW_SIZE

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PREVIEW_QUALITY = 90
_FRAME_PNG_LEVEL = 3  # zlib level for 16-bit full frames: 5x faster than the default 6, 3 % larger


def _check(array: np.ndarray, shape: tuple[int, ...], dtypes: tuple[str, ...], where: str) -> np.ndarray:
    if array.shape != shape or array.dtype.name not in dtypes:
        raise ImageFormatError(
            f"{where}: expected {'/'.join(dtypes)} of shape {shape}, found {array.dtype.name} of shape {array.shape}"
        )
    return array


def _unreadable(where: str, kind: str, reason: object) -> ImageFormatError:
    """The error for a file that does not decode: which, as what, why, and what to do."""
    if isinstance(reason, UnidentifiedImageError):  # its text names an in-memory object, not the file
        reason = "not an image format Pillow knows"
    return ImageFormatError(
        f"{where}: cannot read as {kind}: {reason}; the file is damaged: download the archive again "
        "(`lens2logit download` checks every file's md5)"
    )


def _png_header(data: bytes) -> tuple[int, int] | None:
    """(bit depth, colour type) of PNG bytes, None for anything else."""
    return (data[24], data[25]) if data.startswith(_PNG_SIGNATURE) else None


def decode_tiff(data: bytes, where: str) -> np.ndarray:
    try:
        return tifffile.imread(io.BytesIO(data))
    except Exception as exc:
        raise _unreadable(where, "TIFF", exc) from exc


def _integral_uint16(array: np.ndarray, where: str) -> np.ndarray:
    """A float mosaic holding integral DN values (as the authors' tile writer stores them) as uint16,
    bit-exact; an error naming the first value that is not an integer in [0, 65535]."""
    if array.dtype.kind != "f":
        return array
    exact = np.isfinite(array) & (array >= 0) & (array <= np.iinfo(np.uint16).max) & (np.floor(array) == array)
    if not exact.all():
        position = tuple(int(i) for i in np.argwhere(~exact)[0])
        raise ImageFormatError(
            f"{where}: {array.dtype.name} mosaic holds {float(array[position])} at (row, column) {position}; "
            "raw values must be integers in [0, 65535]: store the mosaic as uint16"
        )
    return array.astype(np.uint16)


def decode_raw(data: bytes, shape: tuple[int, int], where: str) -> np.ndarray:
    """A raw Bayer mosaic: single-channel uint16 of `shape`, values exactly as stored (float TIFFs
    of integral values, as the authors' code writes tiles, are read as uint16)."""
    mosaic = _check(decode_tiff(data, where), shape, ("uint16", "float32", "float64"), where)
    return _integral_uint16(mosaic, where)


def decode_dng(data: bytes, where: str) -> np.ndarray:
    """The visible Bayer mosaic of a DNG, values exactly as stored; the CFA must be RGGB."""
    try:
        with rawpy.imread(io.BytesIO(data)) as raw:
            colours = raw.color_desc.decode()
            pattern = "".join(colours[index] for index in raw.raw_pattern.flatten())
            mosaic = raw.raw_image_visible.copy()
    except Exception as exc:
        raise _unreadable(where, "DNG", exc.args[0].decode() if isinstance(exc.args[0], bytes) else exc) from exc
    if pattern != BAYER_PATTERN:
        raise ImageFormatError(f"{where}: colour filter pattern is {pattern}, expected {BAYER_PATTERN}")
    return mosaic


def decode_frame(data: bytes, suffix: str, where: str) -> np.ndarray:
    """A full raw frame (TIFF or DNG by `suffix`): single-channel uint16 (or integral float) of any size."""
    frame = decode_dng(data, where) if suffix.lower() == ".dng" else decode_tiff(data, where)
    if frame.ndim != 2 or frame.dtype.name not in ("uint16", "float32", "float64"):
        raise ImageFormatError(
            f"{where}: expected a single-channel uint16 mosaic, found {frame.dtype.name} of shape {frame.shape}"
        )
    return _integral_uint16(frame, where)


def decode_mask(data: bytes, shape: tuple[int, int], where: str) -> np.ndarray:
    """A binary PNG mask as bool (source non-zero -> True); the non-zero pixels must share one value."""
    if _png_header(data) is None:
        raise _unreadable(where, "PNG", "it does not start with the PNG signature")
    try:
        with Image.open(io.BytesIO(data)) as image:
            # Palette masks by colour; 1-bit masks as 0/255 (numpy bools from Pillow hold 255, not 1)
            array = np.asarray(image.convert({"P": "RGB", "1": "L"}.get(image.mode, image.mode)))
    except Exception as exc:
        raise _unreadable(where, "PNG", exc) from exc
    if array.shape[:2] != shape:
        raise ImageFormatError(f"{where}: expected a mask of shape {shape}, found {array.shape[:2]}")
    pixels = array.reshape(*shape, -1)
    mask = pixels.any(axis=-1)
    marked = pixels[mask]
    if len(marked) and not (marked == marked[0]).all():
        values = np.unique(marked, axis=0)
        shown = ", ".join(str(value.tolist()[0] if len(value) == 1 else value.tolist()) for value in values[:5])
        raise ImageFormatError(
            f"{where}: not a binary mask: {len(values)} different non-zero values ({shown}"
            f"{', ...' if len(values) > 5 else ''}); expected 0 and one other value"
        )
    return mask


def decode_view(data: bytes, shape: tuple[int, int], where: str) -> np.ndarray:
    """A processed RGB view (PNG or TIFF, by its content, or its name when the content is neither), uint8 or
    uint16, values exactly as stored."""
    header = _png_header(data)
    if header is not None or where.lower().endswith(".png"):
        if header is None:
            raise _unreadable(where, "PNG", "it does not start with the PNG signature")
        if header[0] == 16 and header[1] in (2, 6):  # 16-bit RGB / RGBA
            raise ImageFormatError(
                f"{where}: 16-bit colour PNG cannot be decoded losslessly with Pillow; store 16-bit views as TIFF"
            )
        try:
            with Image.open(io.BytesIO(data)) as image:
                array = np.asarray(image)
        except Exception as exc:
            raise _unreadable(where, "PNG", exc) from exc
    else:
        array = decode_tiff(data, where)
    return _check(array, (*shape, 3), ("uint8", "uint16"), where)


def encode_png(array: np.ndarray, compress_level: int = 6) -> bytes:
    """Lossless PNG of an 8-bit RGB or grayscale array, a bool array (mode `1`) or a uint16 array (`I;16`);
    `compress_level` is zlib's (6 is Pillow's default)."""
    image = Image.fromarray(array)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()


def encode_mask(mask: np.ndarray) -> bytes:
    """1-bit PNG (mode `1`) of a bool mask: decodes to bool, renders black and white."""
    return encode_png(mask.astype(bool))


def encode_frame(mosaic: np.ndarray) -> bytes:
    """Lossless 16-bit grayscale PNG of a uint16 mosaic (decodes to mode `I;16`)."""
    return encode_png(mosaic, _FRAME_PNG_LEVEL)


def view_png(data: bytes, pixels: np.ndarray) -> bytes:
    """PNG bytes of an 8-bit view: the source file itself when it is an 8-bit RGB PNG."""
    if _png_header(data) == (8, 2):  # 8-bit RGB
        return data
    return encode_png(pixels)


def _jpeg(rgb: np.ndarray, size: tuple[int, int] = PREVIEW_SIZE) -> bytes:
    image = Image.fromarray(rgb)
    image.thumbnail(size, Image.Resampling.BOX)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=_PREVIEW_QUALITY)
    return buffer.getvalue()


def half_rgb(mosaic: np.ndarray) -> np.ndarray:
    """Half-resolution float RGB of an RGGB mosaic (the two greens averaged)."""
    mosaic = mosaic.astype(np.float32)
    green = (mosaic[0::2, 1::2] + mosaic[1::2, 0::2]) / 2
    return np.stack([mosaic[0::2, 0::2], green, mosaic[1::2, 1::2]], axis=-1)


def white_point(rgb: np.ndarray) -> np.ndarray:
    """Per-channel 99.5th percentile: the value shown as white."""
    return np.maximum(np.percentile(rgb, 99.5, axis=(0, 1)), 1.0)


def display_rgb(mosaic: np.ndarray, white: np.ndarray | None = None) -> np.ndarray:
    """8-bit RGB of a mosaic for the eye: half-resolution demosaic, stretch to `white`, gamma 2.2."""
    rgb = half_rgb(mosaic)
    rgb = np.clip(rgb / (white_point(rgb) if white is None else white), 0.0, 1.0) ** (1 / 2.2)
    return (rgb * 255 + 0.5).astype(np.uint8)


def display_view(pixels: np.ndarray) -> np.ndarray:
    """8-bit RGB of a processed view (16-bit views keep their top 8 bits)."""
    return (pixels >> 8).astype(np.uint8) if pixels.dtype == np.uint16 else pixels


def _every_nth_block(mosaic: np.ndarray, step: int) -> np.ndarray:
    """Every `step`-th 2x2 Bayer block in each direction: a smaller mosaic of the same pattern."""
    height, width = mosaic.shape[0] // 2 * 2, mosaic.shape[1] // 2 * 2
    blocks = mosaic[:height, :width].reshape(height // 2, 2, width // 2, 2)[::step, :, ::step, :]
    return blocks.reshape(blocks.shape[0] * 2, blocks.shape[2] * 2)


def raw_preview(mosaic: np.ndarray, size: tuple[int, int] = PREVIEW_SIZE) -> bytes:
    """8-bit JPEG quick-look of an RGGB mosaic, at most `size`, each one stretched to its own white point.

    Large frames are sampled down to about four times the preview size first: the preview is the same
    to the eye, at a fraction of the work.
    """
    step = max(1, min(mosaic.shape) // (4 * min(size)))
    return _jpeg(display_rgb(_every_nth_block(mosaic, step) if step > 1 else mosaic), size)


def view_preview(pixels: np.ndarray) -> bytes:
    """8-bit JPEG quick-look of a processed view."""
    return _jpeg(display_view(pixels))
