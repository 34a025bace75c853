"""The `datasets` features of each config (docs/formats.md, "The data contract"; the card describes each column).

Column order (contract v2): `image_id` and `preview` first, then labels and masks, then `view` and
`intensity`, then the pixels. No `split` column: the split is the split the row is in."""

import datasets

from .errors import InvalidArgumentError
from .facts import DRONE_CLASSES, MICROSCOPY_CLASSES, TILE_SHAPE, VIEW_NAMES

VIEW_DTYPES = ("uint8", "uint16")


def rgb_feature(view_dtype: str, shape: tuple[int, int] = TILE_SHAPE) -> datasets.Image | datasets.Array3D:
    """8-bit views as lossless PNG images; 16-bit views as uint16 arrays (Image() would cut them to 8 bits)."""
    if view_dtype == "uint8":
        return datasets.Image()
    if view_dtype == "uint16":
        return datasets.Array3D((*shape, 3), "uint16")
    raise InvalidArgumentError(f"view_dtype must be one of {VIEW_DTYPES}, got {view_dtype!r}")


def microscopy_features(view_dtype: str = "uint8", classes: tuple[str, ...] = MICROSCOPY_CLASSES) -> datasets.Features:
    """`classes`: the authors' classes of the archive (the published data has MICROSCOPY_CLASSES)."""
    return datasets.Features(
        {
            "image_id": datasets.Value("string"),
            "preview": datasets.Image(),
            "label": datasets.ClassLabel(names=list(classes)),
            "annotation": datasets.Value("string"),
            "authors_excluded": datasets.Value("bool"),
            "slide": datasets.Value("int32"),
            "zone": datasets.Value("int32"),
            "label_order": datasets.Value("int32"),
            **_condition_and_pixels(view_dtype),
        }
    )


def drone_features(view_dtype: str = "uint8") -> datasets.Features:
    return datasets.Features(
        {
            "image_id": datasets.Value("string"),
            "preview": datasets.Image(),
            "mask": datasets.Image(),
            "car_fraction": datasets.Value("float32"),
            "frame_id": datasets.Value("int32"),
            "frame": datasets.Value("string"),
            "authors_split": datasets.Value("string"),
            **_condition_and_pixels(view_dtype),
        }
    )


def _condition_and_pixels(view_dtype: str) -> dict:
    """The last columns of the tile configs: the row's condition, then its pixels."""
    return {
        "view": datasets.ClassLabel(names=list(VIEW_NAMES)),
        "intensity": datasets.Value("float64"),
        "raw": datasets.Array2D(TILE_SHAPE, "uint16"),
        "rgb": rgb_feature(view_dtype),
    }


def drone_full_features() -> datasets.Features:
    """Full frames: `raw` is the bytes of a lossless 16-bit grayscale PNG (a 40 MB Array2D would stream as int64;
    as an Image the Hub viewer spends ~9 s and a 28 MB asset re-encoding every frame)."""
    return datasets.Features(
        {
            "image_id": datasets.Value("string"),
            "preview": datasets.Image(),
            "mask": datasets.Image(),
            "frame_id": datasets.Value("int32"),
            "intensity": datasets.Value("float64"),
            "raw": datasets.Value("binary"),
        }
    )


def drone_classification_features() -> datasets.Features:
    """The authors' car / no-car cells."""
    return datasets.Features(
        {
            "image_id": datasets.Value("string"),
            "preview": datasets.Image(),
            "label": datasets.ClassLabel(names=list(DRONE_CLASSES)),
            "mask": datasets.Image(),
            "car_fraction": datasets.Value("float32"),
            "frame_id": datasets.Value("int32"),
            "frame": datasets.Value("string"),
            "grid_row": datasets.Value("int32"),
            "grid_col": datasets.Value("int32"),
            "authors_split": datasets.Value("string"),
            "intensity": datasets.Value("float64"),
            "raw": datasets.Array2D(TILE_SHAPE, "uint16"),
        }
    )
