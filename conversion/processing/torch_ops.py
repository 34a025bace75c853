"""Torch operations of the batched port, each as the numpy reference's library computes it: scipy.ndimage's
border modes and convolution, Bayer site masks, scikit-image's YUV, the Gaussian and median filters."""

import functools

import numpy as np
import torch
import torch.nn.functional as F
from skimage.color import rgb2yuv, yuv2rgb

from .recipe import GAMMA, MEDIAN_SIZE

# scikit-image's YUV matrices, read off its public conversions of the unit colours (rows of eye(3)).
YUV_FROM_RGB = rgb2yuv(np.eye(3)).T
RGB_FROM_YUV = yuv2rgb(np.eye(3)).T


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


def convolve(x: torch.Tensor, kernel, mode: str) -> torch.Tensor:
    """scipy.ndimage.convolve of each (H, W) plane of (B, H, W) with an odd-sized kernel (true convolution),
    as a weighted sum of shifted copies, one per non-zero weight (the kernels here are small and sparse). A
    tensor kernel stays in the graph: every weight is used, as learning may move a zero."""
    kh, kw = kernel.shape
    height, width = x.shape[-2:]
    padded = pad(x, kh // 2, kw // 2, mode)
    if isinstance(kernel, torch.Tensor):
        flipped = as_tensor(kernel, x).flip(0, 1)
        shifted = (padded[..., i : i + height, j : j + width] * flipped[i, j] for i in range(kh) for j in range(kw))
        return sum(shifted)
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


def on_luma(rgb: torch.Tensor, step) -> torch.Tensor:
    """Apply `step` to Y of scikit-image's YUV (its matrices), then back to RGB. yuv2rgb is linear, so only
    the change of Y goes back: rgb + RGB_FROM_YUV[:, 0] * (Y' - Y)."""
    red, green, blue = YUV_FROM_RGB[0]
    luma = rgb[:, 0] * red + rgb[:, 1] * green + rgb[:, 2] * blue
    return rgb + as_tensor(RGB_FROM_YUV[:, 0], rgb).reshape(1, 3, 1, 1) * (step(luma) - luma)[:, None]


def gaussian_kernel(sigma):
    """scipy.ndimage's 1-D Gaussian as a (1, 2 radius + 1) row: radius int(4 sigma + 0.5), normalised to sum 1;
    a tensor for a tensor sigma (in the graph), else numpy."""
    radius = int(4 * float(sigma.detach() if isinstance(sigma, torch.Tensor) else sigma) + 0.5)
    if isinstance(sigma, torch.Tensor):
        x = torch.arange(-radius, radius + 1, dtype=sigma.dtype, device=sigma.device)
        weights = torch.exp(-0.5 * x**2 / sigma**2)
    else:
        x = np.arange(-radius, radius + 1)
        weights = np.exp(-0.5 * x**2 / sigma**2)
    return (weights / weights.sum())[None, :]


def gaussian_blur(x: torch.Tensor, sigma, axes: str) -> torch.Tensor:
    """scipy.ndimage.gaussian_filter with `reflect` borders, down the columns (`rows` axis) or in 2-D."""
    kernel = gaussian_kernel(sigma)
    x = convolve(x, kernel.T, "reflect")
    return x if axes == "columns" else convolve(x, kernel, "reflect")


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


def clip_and_gamma(x: torch.Tensor, gamma=GAMMA) -> torch.Tensor:
    """Clip to [0, 1], then x ** (1 / gamma), with a finite gradient at 0."""
    tiny = torch.finfo(x.dtype).tiny
    exponent = 1 / as_tensor(gamma, x) if isinstance(gamma, torch.Tensor) else 1 / gamma
    return torch.where(x > 0, x.clamp(tiny, 1) ** exponent, 0)
