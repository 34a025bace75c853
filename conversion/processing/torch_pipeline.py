"""The twelve pipelines in torch, batched: (B, H, W) RGGB mosaics -> (B, 3, H, W) float RGB in [0, 1].

A port of the numpy reference (`reference`, the libraries the authors used), step for step and border
for border, differentiable with respect to the mosaics, to the camera parameters (give a Camera whose
fields are tensors) and to the numbers of its steps (a `Tuning` of tensors). Runs on the mosaics' device;
integer mosaics become float32 / 65535, float mosaics keep their dtype and are taken as normalised.
"""

import torch

from ..errors import InvalidArgumentError
from .recipe import RAW_FULL_SCALE, RECIPE, Camera, Pipeline, Tuning, check_raw_values
from .torch_demosaicing import DEMOSAIC
from .torch_ops import as_tensor, clip_and_gamma, convolve, gaussian_blur, median_filter, on_luma

# On the CPU a batch is processed a few tiles at a time: each step is a pass over its intermediates, which
# then stay in the cache; whole-batch intermediates (50 MB for 64 tiles) go to memory, are allocated afresh
# (page faults) at every step, and made the port 3-5x slower.
CPU_CHUNK_PIXELS = 4 * 256 * 256


def process_batch(
    raw: torch.Tensor, steps: Pipeline, camera: Camera, unsharp: str, tuning: Tuning = RECIPE
) -> torch.Tensor:
    """(B, H, W) mosaics -> (B, 3, H, W) RGB in [0, 1]; an empty batch gives an empty one."""
    mosaics = normalised(raw)
    if not len(mosaics):
        return mosaics.new_empty((0, 3, *mosaics.shape[-2:]))
    per_chunk = max(1, CPU_CHUNK_PIXELS // (mosaics.shape[-2] * mosaics.shape[-1]))
    if mosaics.device.type != "cpu" or len(mosaics) <= per_chunk:
        return process_chunk(mosaics, steps, camera, unsharp, tuning)
    return torch.cat([process_chunk(chunk, steps, camera, unsharp, tuning) for chunk in mosaics.split(per_chunk)])


def process_chunk(mosaics: torch.Tensor, steps: Pipeline, camera: Camera, unsharp: str, tuning: Tuning):
    rgb = DEMOSAIC[steps.demosaicing](remove_black_level(mosaics, camera.black_level))
    rgb = correct_colour(rgb, camera)
    if steps.sharpening == "sharpening_filter":
        rgb = on_luma(rgb, lambda luma: convolve(luma, tuning.sharpening_kernel, "constant"))
    else:
        rgb = on_luma(rgb, lambda luma: unsharp_masking(luma, tuning.unsharp_amount, tuning.unsharp_radius, unsharp))
    if steps.denoising == "median_denoising":
        rgb = on_luma(rgb, lambda luma: towards(luma, median_filter(luma), tuning.median_weight))
    else:
        rgb = on_luma(rgb, lambda luma: gaussian_blur(luma, tuning.gaussian_sigma, "2d"))
    return clip_and_gamma(rgb, tuning.gamma)


def _kind(dtype: torch.dtype) -> str:
    """numpy's kind of a torch dtype: `c` complex, `f` float, `b` bool, `i` integer."""
    if dtype.is_complex:
        return "c"
    if dtype.is_floating_point:
        return "f"
    return "b" if dtype == torch.bool else "i"


def normalised(raw: torch.Tensor) -> torch.Tensor:
    """The mosaics as floats in [0, 1] (float32 for integers), after checking their shape and values."""
    if raw.ndim != 3 or raw.shape[-2] % 2 or raw.shape[-1] % 2 or not raw.shape[-1] or not raw.shape[-2]:
        raise InvalidArgumentError(
            f"raw mosaics are (B, H, W) with even, non-zero H and W (whole RGGB quads), got {tuple(raw.shape)}"
        )
    kind = _kind(raw.dtype)
    extremes = (0, 0)
    if raw.numel() and kind in "if":
        values = raw if kind == "f" else raw.to(torch.int64)  # torch has no min or max of its unsigned types
        extremes = (values.min().item(), values.max().item())
    check_raw_values(str(raw.dtype).removeprefix("torch."), kind, *extremes)
    if raw.dtype.is_floating_point:
        return raw
    return raw.to(torch.float32) / RAW_FULL_SCALE


def remove_black_level(mosaics: torch.Tensor, black_level) -> torch.Tensor:
    """Subtract the black level of each RGGB site (R, G, G, B); no clip."""
    quad = as_tensor(black_level, mosaics).reshape(2, 2)
    levels = quad.repeat(mosaics.shape[-2] // 2, mosaics.shape[-1] // 2)
    return mosaics - levels


def correct_colour(rgb: torch.Tensor, camera: Camera) -> torch.Tensor:
    """White balance per channel, then the colour matrix (rgb @ M.T) on (B, 3, H, W)."""
    gains = as_tensor(camera.white_balance, rgb)
    matrix = as_tensor(camera.colour_matrix, rgb).reshape(3, 3)
    return torch.einsum("dc,bchw->bdhw", matrix * gains, rgb)


def unsharp_masking(luma: torch.Tensor, amount, radius, axes: str) -> torch.Tensor:
    return luma + (luma - gaussian_blur(luma, radius, axes)) * amount


def towards(luma: torch.Tensor, filtered: torch.Tensor, weight) -> torch.Tensor:
    """luma + weight (filtered - luma): `filtered` itself at weight 1."""
    if not isinstance(weight, torch.Tensor) and weight == 1:
        return filtered
    return luma + (filtered - luma) * weight
