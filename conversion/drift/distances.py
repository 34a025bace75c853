"""How far a search's images are from the default processing: the penalties and the distances reported."""

import torch

from ..errors import import_optional
from ..reading.pixels import pixels


def l2(rgb: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Mean squared difference per pixel and channel."""
    return ((rgb - reference) ** 2).mean()


def ssim(rgb: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """The mean SSIM of the images (torchmetrics: Gaussian window 11, sigma 1.5, data range 1)."""
    image = import_optional("torchmetrics.functional.image", "torch", "drift.search (its SSIM)")
    return image.structural_similarity_index_measure(rgb, reference, data_range=1.0)


DISTANCES = {"l2": l2, "ssim": lambda rgb, reference: 1 - ssim(rgb, reference)}


def distances(searched, default, report, batch_size: int, device) -> dict[str, float]:
    """The mean L2 and SSIM of the found processing to the default over the report images."""
    totals, images = {"l2": 0.0, "ssim": 0.0}, 0
    for batch in pixels(report, "torch").iter(batch_size):
        mosaics = batch["raw"].to(device)
        rgb, reference = searched(mosaics), default(mosaics)
        totals["l2"] += l2(rgb, reference).item() * len(mosaics)
        totals["ssim"] += ssim(rgb, reference).item() * len(mosaics)
        images += len(mosaics)
    return {name: total / images for name, total in totals.items()}
