"""The authors' recipe with bilinear demosaicing, every step written from its formula, to compare the
pipelines against: any camera numbers, sharpening and denoising step, and gamma."""

import numpy as np

from _lens2logit.processing.recipe import Camera

# scikit-image's YUV (BT.601), written out: the recipe sharpens and denoises Y only.
YUV_FROM_RGB = np.array(
    [[0.299, 0.587, 0.114], [-0.14714119, -0.28886916, 0.43601035], [0.61497538, -0.51496512, -0.10001026]]
)
CAMERA = Camera((0.01, 0.02, 0.03, 0.04), (1.5, 1.0, 2.0), (1.2, -0.1, -0.1, -0.2, 1.3, -0.1, 0.0, -0.3, 1.3))
SHARPENING_KERNEL = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float)


def correlate(plane, kernel, pad_mode):
    """Sum of kernel-weighted neighbours, borders by numpy's pad mode (`symmetric` is scipy's `reflect`)."""
    kh, kw = kernel.shape
    padded = np.pad(plane, ((kh // 2, kh // 2), (kw // 2, kw // 2)), mode=pad_mode)
    out = np.zeros_like(plane)
    for i in range(kh):
        for j in range(kw):
            out += kernel[i, j] * padded[i : i + plane.shape[0], j : j + plane.shape[1]]
    return out


def gaussian(sigma):
    radius = int(4 * sigma + 0.5)
    x = np.arange(-radius, radius + 1)
    weights = np.exp(-(x**2) / (2 * sigma**2))
    return weights / weights.sum()


def recipe_bilinear(mosaic, sharpening, denoising, camera=CAMERA, gamma=2.2):
    """The recipe with bilinear demosaicing; `sharpening` and `denoising` are functions of the Y plane."""
    x = mosaic / 65535.0
    for (row, col), level in zip(((0, 0), (0, 1), (1, 0), (1, 1)), camera.black_level, strict=True):
        x[row::2, col::2] -= level
    sites = np.zeros((3, *x.shape))
    sites[0, 0::2, 0::2] = 1
    sites[1, 0::2, 1::2] = sites[1, 1::2, 0::2] = 1
    sites[2, 1::2, 1::2] = 1
    green_kernel = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]]) / 4
    rb_kernel = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 4
    kernels = (rb_kernel, green_kernel, rb_kernel)
    rgb = np.stack([correlate(x * sites[c], kernels[c], "symmetric") for c in range(3)], -1)
    rgb = rgb * np.array(camera.white_balance)
    rgb = rgb @ np.array(camera.colour_matrix).reshape(3, 3).T
    for step in (sharpening, denoising):
        yuv = rgb @ YUV_FROM_RGB.T
        yuv[..., 0] = step(yuv[..., 0])
        rgb = yuv @ np.linalg.inv(YUV_FROM_RGB).T
    return np.clip(rgb, 0, 1) ** (1 / gamma)


def unsharp_columns(y, amount=1.0, radius=1.0):
    blurred = correlate(y, gaussian(radius)[:, None], "symmetric")
    return y + amount * (y - blurred)


def unsharp_2d(y):
    blurred = correlate(correlate(y, gaussian(1.0)[:, None], "symmetric"), gaussian(1.0)[None, :], "symmetric")
    return y + (y - blurred)


def median3(y, weight=1.0):
    padded = np.pad(y, 1, mode="symmetric")
    windows = np.stack([padded[i : i + y.shape[0], j : j + y.shape[1]] for i in range(3) for j in range(3)])
    return y + weight * (np.median(windows, axis=0) - y)


def sharpening_filter(y, kernel=SHARPENING_KERNEL):
    return correlate(y, np.asarray(kernel, dtype=float), "constant")


def gaussian_denoising(y, sigma=0.5):
    kernel = gaussian(sigma)
    return correlate(correlate(y, kernel[:, None], "symmetric"), kernel[None, :], "symmetric")
