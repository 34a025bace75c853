"""Compare an archive's stored processed views with the twelve pipelines run on its full-intensity raw images."""

from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from ..facts import RAW_VIEW, TILE_SHAPE
from ..images import decode_raw, decode_view
from ..processing.recipe import UNSHARP_VARIANTS
from ..processing.reference import all_views
from .conditions import REFERENCE, Condition
from .reader import Archive


@dataclass
class ViewComparison:
    """Largest |stored - computed| per pipeline, in units of full scale ([0, 1]), over the images compared."""

    config: str
    images: int = 0
    quantum: float = 0.0  # half a step of the stored dtype: what rounding alone explains
    largest: dict[str, dict[str, float]] = field(default_factory=dict)  # unsharp variant -> pipeline -> largest

    def unsharp_follows(self) -> str:
        """The unsharp-masking variant whose six views are closest to the stored ones."""
        worst = {
            variant: max(value for pipeline, value in largest.items() if "unsharp_masking" in pipeline)
            for variant, largest in self.largest.items()
        }
        return min(worst, key=worst.get)

    def lines(self) -> list[str]:
        """One line per pipeline: the largest difference with each unsharp variant where it applies."""
        lines = []
        for pipeline, value in self.largest[UNSHARP_VARIANTS[0]].items():
            other = self.largest[UNSHARP_VARIANTS[1]][pipeline]
            both = f" (2-D unsharp masking: {other:.2e})" if "unsharp_masking" in pipeline else ""
            within = "within rounding" if min(value, other) <= self.quantum else "beyond rounding"
            lines.append(f"{pipeline}: {value:.2e}{both}, {within}")
        return lines


def compare_views(
    archive: Archive, name: str, conditions: list[Condition], camera: str, progress: bool = True
) -> ViewComparison | None:
    """Run every pipeline (both unsharp variants) on each raw_scale100 image that has stored views; None
    when the config has no stored views or no full-intensity raw images."""
    raw = next((c for c in conditions if c.name == REFERENCE), None)
    views = [c for c in conditions if c.view != RAW_VIEW]
    if raw is None or not views:
        return None
    comparison = ViewComparison(name, largest={variant: {c.view: 0.0 for c in views} for variant in UNSHARP_VARIANTS})
    image_ids = sorted(image_id for image_id in raw.files if any(image_id in c.files for c in views))
    for image_id in tqdm(image_ids, desc=f"{name}: views vs pipelines", unit="image", disable=not progress):
        mosaic = decode_raw(archive.read_bytes(raw.files[image_id]), TILE_SHAPE, raw.files[image_id])
        default = all_views(mosaic, camera)
        computed = {"columns": default, "2d": default | all_views(mosaic, camera, "2d", ["unsharp_masking"])}
        for condition in views:
            if image_id not in condition.files:
                continue
            path = condition.files[image_id]
            stored = decode_view(archive.read_bytes(path), TILE_SHAPE, path)
            scale = np.iinfo(stored.dtype).max
            comparison.quantum = 0.5 / scale + 1e-9
            for variant, rgb in computed.items():
                difference = float(np.abs(stored / scale - rgb[condition.view]).max())
                largest = comparison.largest[variant]
                largest[condition.view] = max(largest[condition.view], difference)
        comparison.images += 1
    return comparison
