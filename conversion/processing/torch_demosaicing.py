"""Demosaicing in torch, batched (B, H, W) -> (B, 3, H, W): bilinear, Malvar, He and Cutler 2004, and Menon,
Andriani and Calvagno 2007 (DDFAPD with its refining step), as colour-demosaicing computes them."""

import numpy as np
import torch

from .torch_ops import convolve, pad, site_masks

# Kernels as colour-demosaicing writes them.
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


DEMOSAIC = {"bilinear": demosaic_bilinear, "malvar2004": demosaic_malvar2004, "menon2007": demosaic_menon2007}
