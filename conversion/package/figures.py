"""Figures for the dataset card, rendered from the data being converted into `assets/*.png`."""

import io
import math

import numpy as np
from PIL import Image, ImageDraw

from .. import images
from ..archive.conditions import REFERENCE
from ..archive.grid import cell
from ..archive.reader import Archive
from ..facts import PROCESSED_VIEWS, RAW_VIEW, TILE_SHAPE

CELL = 128  # pixels a tile is shown at
CAPTION = 16  # pixels of caption below each tile
MASK_COLOUR = np.array([255, 40, 40], np.float32)
DRONE_TILES_SHOWN = 8
PIPELINE_INTENSITIES = (1.00, 0.25, 0.05)  # the rows of the pipelines figure

FIGURES = {
    "microscopy_classes.png": "One raw full-intensity image of each class (demosaiced for display).",
    "microscopy_intensities.png": "One image at every intensity, all shown with the white point of the "
    "full-intensity capture, so lower intensities look darker.",
    "microscopy_views.png": "One image through the twelve processing pipelines "
    "(demosaicing, sharpening, denoising as two + one + two letters: `bisga` = bilinear, sharpening filter, "
    "gaussian).",
    "microscopy_pipelines.png": "The same image through the twelve pipelines (`lens2logit.process`), computed "
    "from its raw captures at intensities 1.00, 0.25 and 0.05 (one row each; letters as above).",
    "drone_masks.png": "Drone tiles at full intensity with their car masks in red.",
    "drone_classification.png": "The first cells of each class of `drone_classification` at full intensity "
    "(top row `car`, bottom row `no_car`), car masks in red.",
}


def _grid(cells: list[tuple[np.ndarray, str]], columns: int) -> bytes:
    """PNG of RGB tiles in rows of `columns`, each shown at CELL pixels with its caption below."""
    rows = math.ceil(len(cells) / columns)
    canvas = Image.new("RGB", (columns * CELL, rows * (CELL + CAPTION)), "white")
    draw = ImageDraw.Draw(canvas)
    for number, (rgb, caption) in enumerate(cells):
        left, top = (number % columns) * CELL, (number // columns) * (CELL + CAPTION)
        canvas.paste(Image.fromarray(rgb).resize((CELL, CELL), Image.Resampling.BOX), (left, top))
        draw.text((left + 3, top + CELL + 2), caption, fill="black")
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()


def _short(view: str) -> str:
    demosaicing, sharpening, denoising = view.split("-")
    return demosaicing[:2] + sharpening[0] + denoising[:2]


def _mosaic(archive: Archive, path: str) -> np.ndarray:
    return images.decode_raw(archive.read_bytes(path), TILE_SHAPE, archive.where(path))


def microscopy_figures(archive: Archive, index) -> dict[str, bytes]:
    conditions = {condition.name: condition for condition in index.conditions}
    full = conditions[REFERENCE].files
    samples = []
    for code in index.classes:
        image_id = next((i for i, image in index.images.items() if image.annotation == code and i in full), None)
        if image_id is not None:
            samples.append((images.display_rgb(_mosaic(archive, full[image_id])), code))
    image_id = next(iter(full))
    white = images.white_point(images.half_rgb(_mosaic(archive, full[image_id])))
    raws = sorted(
        (c for c in index.conditions if c.view == RAW_VIEW and image_id in c.files), key=lambda c: c.intensity
    )
    intensities = [(images.display_rgb(_mosaic(archive, c.files[image_id]), white), f"{c.intensity:.2f}") for c in raws]
    views = []
    for condition in index.conditions:
        if condition.view != RAW_VIEW and image_id in condition.files:
            path = condition.files[image_id]
            pixels = images.decode_view(archive.read_bytes(path), TILE_SHAPE, archive.where(path))
            views.append((images.display_view(pixels), _short(condition.view)))
    figures = {
        "microscopy_classes.png": _grid(samples, len(samples)),
        "microscopy_intensities.png": _grid(intensities, len(intensities)),
    }
    if views:
        figures["microscopy_views.png"] = _grid(views, 6)
    processed = _pipelines(archive, {c.intensity: c.files[image_id] for c in raws})
    if processed:
        figures["microscopy_pipelines.png"] = _grid(processed, len(PROCESSED_VIEWS))
    return figures


def _pipelines(archive: Archive, raws: dict[float, str]) -> list[tuple[np.ndarray, str]]:
    """The twelve pipelines' RGB, as 8 bits, of the raw captures at PIPELINE_INTENSITIES present."""
    from ..processing.reference import all_views  # on first use: scipy and scikit-image are not needed to import

    cells = []
    for intensity in (i for i in PIPELINE_INTENSITIES if i in raws):
        for pipeline, rgb in all_views(_mosaic(archive, raws[intensity]), "microscopy").items():
            cells.append((np.rint(rgb * 255).astype(np.uint8), f"{_short(pipeline)} {intensity:.2f}"))
    return cells


def _with_mask(mosaic: np.ndarray, mask_png: bytes) -> np.ndarray:
    """8-bit RGB of a drone mosaic with its car mask (1-bit PNG) in red."""
    rgb = images.display_rgb(mosaic).astype(np.float32)
    mask = np.asarray(Image.open(io.BytesIO(mask_png)).convert("L"))[::2, ::2] > 0
    rgb[mask] = 0.4 * rgb[mask] + 0.6 * MASK_COLOUR
    return rgb.astype(np.uint8)


def drone_figures(archive: Archive, index) -> dict[str, bytes]:
    full = {condition.name: condition for condition in index.conditions}[REFERENCE].files
    cells = []
    for image_id in list(index.tiles)[:DRONE_TILES_SHOWN]:
        tile = index.tiles[image_id]
        cells.append((_with_mask(_mosaic(archive, full[image_id]), tile.mask), f"{image_id} {tile.car_fraction:.1%}"))
    return {"drone_masks.png": _grid(cells, 4)} if cells else {}


def drone_classification_figures(archive: Archive, index) -> dict[str, bytes]:
    """The first DRONE_TILES_SHOWN / 2 cells of each class, cut from their frames at full intensity."""
    full = {condition.name: condition for condition in index.conditions}[REFERENCE].files
    classes = [[c for c in index.cells.values() if c.label == label] for label in range(2)]
    per_class = min(DRONE_TILES_SHOWN // 2, *map(len, classes))
    shown = [chosen[:per_class] for chosen in classes]
    mosaics = {}  # frame stem -> mosaic; few frames, since the first cells come from the first frames
    cells = []
    for chosen in (c for row in shown for c in row):
        if chosen.frame not in mosaics:
            mosaics[chosen.frame] = index.read_frame(archive, full[chosen.frame], chosen.frame)
        tile = cell(mosaics[chosen.frame], chosen.position)
        cells.append((_with_mask(tile, chosen.mask), f"{chosen.image_id} {chosen.car_fraction:.1%}"))
    return {"drone_classification.png": _grid(cells, per_class)} if per_class else {}
