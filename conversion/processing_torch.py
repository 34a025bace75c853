"""The twelve pipelines in torch, batched: (B, H, W) RGGB mosaics -> (B, 3, H, W) float RGB in [0, 1].

A port of the numpy reference (`conversion.processing`, the libraries the authors used), step for
step and border for border, differentiable with respect to the mosaics and to the camera parameters
(give a Camera whose fields are tensors). Runs on the mosaics' device; integer mosaics become
float32 / 65535, float mosaics keep their dtype and are taken as normalised.
"""

import functools

import numpy as np
import torch
import torch.nn.functional as F
from skimage.color.colorconv import rgb_from_yuv, yuv_from_rgb

from conversion.errors import Lens2LogitError
from conversion.processing import (
    GAMMA,
    GAUSSIAN_DENOISING_SIGMA,
    MEDIAN_SIZE,
    RAW_FULL_SCALE,
    SHARPENING_KERNEL,
    UNSHARP_AMOUNT,
    UNSHARP_RADIUS,
    UNSHARP_VARIANTS,
    Camera,
    Pipeline,
)

# Kernels as colour-demosaicing writes them (bilinear; Malvar, He and Cutler 2004; Menon, Andriani and
# Calvagno 2007).
BILINEAR_G = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]]) / 4
# The red / blue kernel [[1, 2, 1], [2, 4, 2], [1, 2, 1]] / 4 is this factor's outer product with itself.
BILINEAR_RB_FACTOR = np.array([[0.5, 1, 0.5]])
MALVAR_G_AT_RB = np.array(
    [[0, 0, -1, 0, 0], [0, 0, 2, 0, 0], [-1, 2, 4, 2, -1], [0, 0, 2, 0, 0], [0, 0, -1, 0, 0]]
) / 8  # fmt: skip
MALVAR_RB_AT_G_ROW = np.array(
    [[0, 0, 0.5, 0, 0], [0, -1, 0, -1, 0], [-1, 4, 5, 4, -1], [0, -1, 0, -1, 0], [0, 0, 0.5, 0, 0]]
) / 8  # fmt: skip
MALVAR_RB_AT_G_COLUMN = MALVAR_RB_AT_G_ROW.T
MALVAR_RB_AT_BR = np.array(
    [[0, 0, -1.5, 0, 0], [0, 2, 0, 2, 0], [-1.5, 0, 6, 0, -1.5], [0, 2, 0, 2, 0], [0, 0, -1.5, 0, 0]]
) / 8  # fmt: skip
MENON_H0 = np.array([[0, 0.5, 0, 0.5, 0]])
MENON_H1 = np.array([[-0.25, 0, 0.5, 0, -0.25]])
MENON_CLASSIFIER = np.array(
    [[0, 0, 1, 0, 1], [0, 0, 0, 1, 0], [0, 0, 3, 0, 3], [0, 0, 0, 1, 0], [0, 0, 1, 0, 1]], dtype=np.float64
)
MENON_NEIGHBOURS = np.array([[0.5, 0, 0.5]])
MENON_MEAN3 = np.ones((1, 3)) / 3


# On the CPU a batch is processed a few tiles at a time: each step is a pass over its intermediates, which
# then stay in the cache; whole-batch intermediates (50 MB for 64 tiles) go to memory, are allocated afresh
# (page faults) at every step, and made the port 3-5x slower.
CPU_CHUNK_PIXELS = 4 * 256 * 256


def process_batch(raw: torch.Tensor, steps: Pipeline, camera: Camera, unsharp: str) -> torch.Tensor:
    """(B, H, W) mosaics -> (B, 3, H, W) RGB in [0, 1]."""
    mosaics = normalised(raw)
    per_chunk = max(1, CPU_CHUNK_PIXELS // (mosaics.shape[-2] * mosaics.shape[-1]))
    if mosaics.device.type != "cpu" or len(mosaics) <= per_chunk:
        return process_chunk(mosaics, steps, camera, unsharp)
    return torch.cat([process_chunk(chunk, steps, camera, unsharp) for chunk in mosaics.split(per_chunk)])


def process_chunk(mosaics: torch.Tensor, steps: Pipeline, camera: Camera, unsharp: str) -> torch.Tensor:
    rgb = DEMOSAIC[steps.demosaicing](remove_black_level(mosaics, camera.black_level))
    rgb = correct_colour(rgb, camera)
    if steps.sharpening == "sharpening_filter":
        rgb = on_luma(rgb, lambda luma: convolve(luma, SHARPENING_KERNEL, "constant"))
    else:
        rgb = on_luma(rgb, UNSHARP[unsharp])
    rgb = on_luma(rgb, DENOISE[steps.denoising])
    return clip_and_gamma(rgb)


def normalised(raw: torch.Tensor) -> torch.Tensor:
    if raw.ndim != 3 or raw.shape[-2] % 2 or raw.shape[-1] % 2:
        raise Lens2LogitError(f"raw mosaics are (B, H, W) with even H and W (whole RGGB quads), got {tuple(raw.shape)}")
    if raw.dtype.is_floating_point:
        return raw
    return raw.to(torch.float32) / RAW_FULL_SCALE


def as_tensor(values, like: torch.Tensor) -> torch.Tensor:
    """Numbers or a tensor (kept in the graph) in the dtype and on the device of `like`."""
    return torch.as_tensor(values, dtype=like.dtype, device=like.device)


def border_index(size: int, before: int, after: int, mode: str, device) -> torch.Tensor:
    """Source index of each padded position, as scipy.ndimage's modes `reflect` (d c b a | a b c d)
    and `mirror` (d c b | a b c d) extend an axis."""
    index = torch.arange(-before, size + after, device=device)
    period = 2 * size if mode == "reflect" else 2 * size - 2
    index = index % period
    return torch.where(index >= size, period - (mode == "reflect") - index, index)


def pad(x: torch.Tensor, rows: int, cols: int, mode: str) -> torch.Tensor:
    """Pad the last two axes by `rows` and `cols` on each side: `constant` (zeros), or scipy's `reflect` /
    `mirror` (torch's own padding where it is the same, an index gather otherwise)."""
    if mode == "constant":
        return F.pad(x, (cols, cols, rows, rows))
    if mode == "mirror" and rows < x.shape[-2] and cols < x.shape[-1]:
        return F.pad(x, (cols, cols, rows, rows), mode="reflect")
    if mode == "reflect" and rows <= 1 and cols <= 1:
        return F.pad(x, (cols, cols, rows, rows), mode="replicate")
    if rows:
        x = x.index_select(-2, border_index(x.shape[-2], rows, rows, mode, x.device))
    if cols:
        x = x.index_select(-1, border_index(x.shape[-1], cols, cols, mode, x.device))
    return x


def convolve(x: torch.Tensor, kernel: np.ndarray, mode: str) -> torch.Tensor:
    """scipy.ndimage.convolve of each (H, W) plane of (B, H, W) with an odd-sized kernel (true convolution),
    as a weighted sum of shifted copies, one per non-zero weight (the kernels here are small and sparse)."""
    kh, kw = kernel.shape
    height, width = x.shape[-2:]
    padded = pad(x, kh // 2, kw // 2, mode)
    out = None
    for (i, j), weight in np.ndenumerate(kernel[::-1, ::-1]):
        if weight == 0:
            continue
        shifted = padded[..., i : i + height, j : j + width]
        out = shifted * float(weight) if out is None else out.add_(shifted, alpha=float(weight))
    return out


def site_masks(shape: torch.Size, device) -> dict[str, torch.Tensor]:
    """Boolean (H, W) masks of the RGGB sites and of the red and blue rows and columns."""
    return _site_masks(shape[-2], shape[-1], str(device))


@functools.lru_cache(maxsize=16)
def _site_masks(height: int, width: int, device: str) -> dict[str, torch.Tensor]:
    shape = (height, width)
    rows = torch.arange(height, device=device)[:, None] % 2
    cols = torch.arange(width, device=device)[None, :] % 2
    red_row, red_col = (rows == 0).expand(shape), (cols == 0).expand(shape)
    return {
        "R": red_row & red_col,
        "G": red_row ^ red_col,
        "B": ~red_row & ~red_col,
        "red_row": red_row,
        "blue_row": ~red_row,
        "red_col": red_col,
        "blue_col": ~red_col,
    }


def remove_black_level(mosaics: torch.Tensor, black_level) -> torch.Tensor:
    """Subtract the black level of each RGGB site (R, G, G, B); no clip."""
    quad = as_tensor(black_level, mosaics).reshape(2, 2)
    levels = quad.repeat(mosaics.shape[-2] // 2, mosaics.shape[-1] // 2)
    return mosaics - levels


def demosaic_bilinear(cfa: torch.Tensor) -> torch.Tensor:
    """Bilinear interpolation; the red and blue kernel applied as its two 1-D factors ([1, 2, 1] / 2 each)."""
    m = site_masks(cfa.shape, cfa.device)

    def red_blue(plane):
        return convolve(convolve(plane, BILINEAR_RB_FACTOR.T, "reflect"), BILINEAR_RB_FACTOR, "reflect")

    return torch.stack(
        [red_blue(cfa * m["R"]), convolve(cfa * m["G"], BILINEAR_G, "reflect"), red_blue(cfa * m["B"])], 1
    )


def demosaic_malvar2004(cfa: torch.Tensor) -> torch.Tensor:
    m = site_masks(cfa.shape, cfa.device)
    green = torch.where(m["G"], cfa, convolve(cfa, MALVAR_G_AT_RB, "reflect"))
    at_g_row = convolve(cfa, MALVAR_RB_AT_G_ROW, "reflect")
    at_g_col = convolve(cfa, MALVAR_RB_AT_G_COLUMN, "reflect")
    at_opposite = convolve(cfa, MALVAR_RB_AT_BR, "reflect")
    red = torch.where(m["R"], cfa, 0)
    red = torch.where(m["red_row"] & m["blue_col"], at_g_row, red)
    red = torch.where(m["blue_row"] & m["red_col"], at_g_col, red)
    red = torch.where(m["B"], at_opposite, red)
    blue = torch.where(m["B"], cfa, 0)
    blue = torch.where(m["blue_row"] & m["red_col"], at_g_row, blue)
    blue = torch.where(m["red_row"] & m["blue_col"], at_g_col, blue)
    blue = torch.where(m["R"], at_opposite, blue)
    return torch.stack([red, green, blue], 1)


def horizontal(x: torch.Tensor, kernel: np.ndarray) -> torch.Tensor:
    return convolve(x, kernel, "mirror")


def vertical(x: torch.Tensor, kernel: np.ndarray) -> torch.Tensor:
    return convolve(x, kernel.T, "mirror")


def menon2007_greens(cfa: torch.Tensor, m: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Menon 2007's horizontal and vertical green estimates."""
    green_h = torch.where(m["G"], cfa, horizontal(cfa, MENON_H0) + horizontal(cfa, MENON_H1))
    green_v = torch.where(m["G"], cfa, vertical(cfa, MENON_H0) + vertical(cfa, MENON_H1))
    return green_h, green_v


def menon2007_classifier(cfa: torch.Tensor, m: dict, green_h: torch.Tensor, green_v: torch.Tensor):
    """Menon 2007's horizontal and vertical gradients of colour difference, d_H and d_V: the horizontal
    estimate is chosen where d_V >= d_H."""
    chroma = m["R"] | m["B"]
    c_h = torch.where(chroma, cfa - green_h, 0)
    c_v = torch.where(chroma, cfa - green_v, 0)
    d_h = convolve((c_h - pad(c_h, 0, 2, "mirror")[..., 4:]).abs(), MENON_CLASSIFIER, "constant")
    d_v = convolve((c_v - pad(c_v, 2, 0, "mirror")[..., 4:, :]).abs(), MENON_CLASSIFIER.T, "constant")
    return d_h, d_v


def demosaic_menon2007(cfa: torch.Tensor) -> torch.Tensor:
    """Menon, Andriani and Calvagno 2007 (DDFAPD) with its refining step, as colour-demosaicing computes it."""
    m = site_masks(cfa.shape, cfa.device)
    red, blue = torch.where(m["R"], cfa, 0), torch.where(m["B"], cfa, 0)
    green_h, green_v = menon2007_greens(cfa, m)
    d_h, d_v = menon2007_classifier(cfa, m, green_h, green_v)
    use_h = d_v >= d_h
    green = torch.where(use_h, green_h, green_v)

    def rows(x):
        return horizontal(x, MENON_NEIGHBOURS)

    def cols(x):
        return vertical(x, MENON_NEIGHBOURS)

    red_at_g = torch.where(m["red_row"], green + rows(red) - rows(green), green + cols(red) - cols(green))
    blue_at_g = torch.where(m["blue_row"], green + rows(blue) - rows(green), green + cols(blue) - cols(green))
    red = torch.where(m["G"], red_at_g, red)
    blue = torch.where(m["G"], blue_at_g, blue)
    red_at_b = torch.where(use_h, blue + rows(red) - rows(blue), blue + cols(red) - cols(blue))
    red = torch.where(m["B"], red_at_b, red)
    blue_at_r = torch.where(use_h, red + rows(blue) - rows(red), red + cols(blue) - cols(red))
    blue = torch.where(m["R"], blue_at_r, blue)
    return torch.stack(menon2007_refine(red, green, blue, m, use_h), 1)


def menon2007_refine(red, green, blue, m, use_h):
    """Menon 2007's refining step: green, then red and blue at green sites, then red / blue at blue / red sites."""

    def along(x, kernel):
        return torch.where(use_h, horizontal(x, kernel), vertical(x, kernel))

    green = torch.where(m["R"], red - along(red - green, MENON_MEAN3), green)
    green = torch.where(m["B"], blue - along(blue - green, MENON_MEAN3), green)
    red_g, blue_g = red - green, blue - green
    red = torch.where(m["G"] & m["blue_row"], green + vertical(red_g, MENON_NEIGHBOURS), red)
    red = torch.where(m["G"] & m["blue_col"], green + horizontal(red_g, MENON_NEIGHBOURS), red)
    blue = torch.where(m["G"] & m["red_row"], green + vertical(blue_g, MENON_NEIGHBOURS), blue)
    blue = torch.where(m["G"] & m["red_col"], green + horizontal(blue_g, MENON_NEIGHBOURS), blue)
    red_b = along(red - blue, MENON_MEAN3)
    red = torch.where(m["B"], blue + red_b, red)
    blue = torch.where(m["R"], red - red_b, blue)
    return red, green, blue


def correct_colour(rgb: torch.Tensor, camera: Camera) -> torch.Tensor:
    """White balance per channel, then the colour matrix (rgb @ M.T) on (B, 3, H, W)."""
    gains = as_tensor(camera.white_balance, rgb)
    matrix = as_tensor(camera.colour_matrix, rgb).reshape(3, 3)
    return torch.einsum("dc,bchw->bdhw", matrix * gains, rgb)


def on_luma(rgb: torch.Tensor, step) -> torch.Tensor:
    """Apply `step` to Y of scikit-image's YUV (its matrices), then back to RGB. yuv2rgb is linear, so only
    the change of Y goes back: rgb + rgb_from_yuv[:, 0] * (Y' - Y)."""
    red, green, blue = yuv_from_rgb[0]
    luma = rgb[:, 0] * red + rgb[:, 1] * green + rgb[:, 2] * blue
    return rgb + as_tensor(rgb_from_yuv[:, 0], rgb).reshape(1, 3, 1, 1) * (step(luma) - luma)[:, None]


def gaussian_kernel(sigma: float) -> np.ndarray:
    """scipy.ndimage's 1-D Gaussian: radius int(4 sigma + 0.5), normalised to sum 1."""
    radius = int(4 * sigma + 0.5)
    x = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 * x**2 / sigma**2)
    return (weights / weights.sum())[None, :]


def gaussian_blur(x: torch.Tensor, sigma: float, axes: str) -> torch.Tensor:
    """scipy.ndimage.gaussian_filter with `reflect` borders, down the columns (`rows` axis) or in 2-D."""
    kernel = gaussian_kernel(sigma)
    x = convolve(x, kernel.T, "reflect")
    return x if axes == "columns" else convolve(x, kernel, "reflect")


def unsharp_masking(luma: torch.Tensor, axes: str) -> torch.Tensor:
    return luma + (luma - gaussian_blur(luma, UNSHARP_RADIUS, axes)) * UNSHARP_AMOUNT


# Paeth's median-of-9 exchange network (Graphics Gems, 1990): after these 19 min / max pairs, element 4 is
# the median.
MEDIAN9_NETWORK = (
    (1, 2), (4, 5), (7, 8), (0, 1), (3, 4), (6, 7), (1, 2), (4, 5), (7, 8), (0, 3),
    (5, 8), (4, 7), (3, 6), (1, 4), (2, 5), (4, 7), (4, 2), (6, 4), (4, 2),
)  # fmt: skip


def median_filter(x: torch.Tensor) -> torch.Tensor:
    """scipy.ndimage.median_filter(size=3) with `reflect` borders."""
    height, width = x.shape[-2:]
    padded = pad(x, MEDIAN_SIZE // 2, MEDIAN_SIZE // 2, "reflect")
    p = [padded[..., i : i + height, j : j + width] for i in range(MEDIAN_SIZE) for j in range(MEDIAN_SIZE)]
    for a, b in MEDIAN9_NETWORK:
        p[a], p[b] = torch.minimum(p[a], p[b]), torch.maximum(p[a], p[b])
    return p[4]


def clip_and_gamma(x: torch.Tensor) -> torch.Tensor:
    """Clip to [0, 1], then x ** (1 / 2.2), with a finite gradient at 0."""
    tiny = torch.finfo(x.dtype).tiny
    return torch.where(x > 0, x.clamp(tiny, 1) ** (1 / GAMMA), 0)


DEMOSAIC = {"bilinear": demosaic_bilinear, "malvar2004": demosaic_malvar2004, "menon2007": demosaic_menon2007}
UNSHARP = {axes: (lambda luma, axes=axes: unsharp_masking(luma, axes)) for axes in UNSHARP_VARIANTS}
DENOISE = {
    "median_denoising": median_filter,
    "gaussian_denoising": lambda luma: gaussian_blur(luma, GAUSSIAN_DENOISING_SIGMA, "2d"),
}
