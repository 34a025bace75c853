"""`process`: the twelve pipelines on numpy mosaics (the reference) or torch batches (the port)."""

import sys

import numpy as np

from .recipe import Camera, camera_of, check_unsharp, parse_pipeline


def process(raw, pipeline: str, camera: "str | Camera" = "microscopy", unsharp: str = "columns"):
    """RGB in [0, 1] of raw RGGB mosaics by one of the authors' twelve pipelines (the recipe: `recipe`).

    A numpy mosaic is computed by the numpy reference, with the libraries the authors used; a torch tensor
    by the batched port, on its device, differentiable with respect to the mosaics and to any Camera field
    given as a tensor.

    Args:
        raw: raw mosaics at any intensity: integers from 0 to 65535 (divided by 65535), or floats already
            normalised to [0, 1]. An empty torch batch gives an empty one.
        pipeline: one of `PIPELINES`, `<demosaicing>-<sharpening>-<denoising>`.
        camera: a config name (`microscopy`, or `drone...` for the drone parameters) or a `Camera`.
        unsharp: `"columns"` (what the authors' scikit-image 0.18.1 computed: each column of Y blurred
            alone) or `"2d"` (the recipe as written).

    Returns:
        The RGB after clipping and gamma 1/2.2: numpy float64, torch float32 (float64 for float64 input).

    Raises:
        InvalidArgumentError: an unknown pipeline, camera or unsharp variant, or a mosaic that is not 2-D
            with even, non-zero sides (whole RGGB quads), or values that are not raw values: integers
            outside 0 to 65535, floats outside [0, 1], NaN or infinity (a ValueError).
        ArgumentTypeError: a mosaic that is neither integers nor floats, e.g. bool (a TypeError).

    Shape:
        - numpy: (H, W) -> (H, W, 3).
        - torch: (H, W) -> (3, H, W), and (B, H, W) -> (B, 3, H, W).

    Examples:
        >>> import numpy as np
        >>> import torch
        >>> from lens2logit import process
        >>> mosaic = (np.arange(64).reshape(8, 8) * 1000).astype(np.uint16)
        >>> rgb = process(mosaic, "menon2007-unsharp_masking-median_denoising", camera="microscopy")
        >>> rgb.shape, rgb.dtype, bool(rgb.min() >= 0 and rgb.max() <= 1)
        ((8, 8, 3), dtype('float64'), True)
        >>> batch = torch.from_numpy(np.stack([mosaic, mosaic]).astype(np.int32))
        >>> ported = process(batch, "menon2007-unsharp_masking-median_denoising", camera="microscopy")
        >>> tuple(ported.shape), ported.dtype
        ((2, 3, 8, 8), torch.float32)
        >>> bool(np.allclose(ported[0].permute(1, 2, 0).numpy(), rgb, atol=1e-4))
        True
    """
    steps, camera = parse_pipeline(pipeline), camera_of(camera)
    check_unsharp(unsharp)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(raw, torch.Tensor):
        from .torch_pipeline import process_batch

        batch = process_batch(raw[None] if raw.ndim == 2 else raw, steps, camera, unsharp)
        return batch[0] if raw.ndim == 2 else batch
    from .reference import process_numpy  # on first use: scipy and scikit-image are not needed to import

    return process_numpy(np.asarray(raw), steps, camera, unsharp)
