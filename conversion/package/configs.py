"""The package's configs, each declared once: what it reads, its features and index, and how the card shows it.

Everything that goes over configs (the builder, `convert`, `check`, the card, the figures, the published
counts) iterates CONFIGS, so a config is added by adding its ConfigSpec here.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

import datasets
import pyarrow as pa

from ..archive import conditions, drone, drone_classification, drone_full, microscopy
from ..archive.conditions import Condition
from ..archive.frame_links import FRAME_MASKS, FRAMES, TILE_MASKS, TILES
from ..archive.reader import Archive
from ..errors import ArchiveNotFoundError, InvalidArgumentError
from ..facts import (
    AUTHORS_MIN_CLASS_SIZE,
    BAYER_PATTERN,
    CONDITIONS_PER_IMAGE,
    DRONE_CLASSIFICATION_TILES,
    DRONE_TILES,
    INTENSITIES,
    MICROSCOPY_CLASSES,
)
from ..features import drone_classification_features, drone_features, drone_full_features, microscopy_features
from . import card_sections, figures


class ConfigIndex(Protocol):
    """What the converter and the builder need of a checked part of the archive."""

    skipped: list[str]  # problems let through by allow_missing
    tables_per_shard: int | None  # None: shards are bounded by size only

    @property
    def features(self) -> datasets.Features: ...

    def num_rows(self, split: str) -> int: ...

    def tables(self, archive: Archive, split: str) -> Iterator[tuple[str, str, pa.Table]]: ...

    def decode(self, archive: Archive, condition: Condition, image_id: str) -> None:
        """Decode the file of `image_id` under `condition` as `tables` does, raising what it would."""


@dataclass(frozen=True)
class Published:
    """What the published archive gives a config: its rows per split, or only their total."""

    rows_per_split: Callable[[], dict[str, int]] | None = None
    total_rows: int | None = None


def _no_figures(archive: Archive, index: ConfigIndex) -> dict[str, bytes]:
    return {}


@dataclass(frozen=True)
class ConfigSpec:
    """One config of the package.

    Args:
        name: the config name, its folder in the package.
        description: one paragraph, for the builder and the card.
        folder: the archive folder whose files make its rows.
        companion: the archive folder of the labels or masks that go with `folder`.
        features: its features, given the processed views' dtype (`uint8` or `uint16`).
        index: checks its part of an archive (allowing missing files if asked) and lists its rows.
        columns: the meaning of each feature for the card, in any order; `"a, b"` describes two at once.
        has_views: whether `folder` holds processed views, whose dtype is read from the archive.
        default: whether it is the package's default config.
        card_section: its card section's template in `templates/`; the generic one shows description,
            counts and columns.
        card_facts: the values and tables its card section shows, given its info and index.
        figures: the card's figures of it, PNG bytes by file name in `assets/`.
        published: what the published archive gives it; None for a config the archive does not publish.
        compared: an archive folder of the authors' own outputs that its rows are compared with.
        is_compared: which files of `compared` it reads.
    """

    name: str
    description: str
    folder: str
    companion: str
    features: Callable[[str], datasets.Features]
    index: Callable[[Archive, bool], ConfigIndex]
    columns: dict[str, str]
    has_views: bool = False
    default: bool = False
    card_section: str = "config.md"
    card_facts: Callable[[datasets.DatasetInfo, ConfigIndex], dict] = card_sections.counts_only
    figures: Callable[[Archive, ConfigIndex], dict[str, bytes]] = _no_figures
    published: Published | None = None
    compared: str = ""
    is_compared: Callable[[str], bool] = lambda path: False

    @property
    def dataset(self) -> str:
        """The dataset of the archive the config belongs to: `microscopy` or `drone`."""
        return self.folder.split("/")[0]


_INTENSITY = "fraction of the full exposure (float64): " + ", ".join(f"{i:.2f}" for i in INTENSITIES)
_VIEW = "`raw`, or the processed view `<demosaicing>-<sharpening>-<denoising>`"
_RGB = "processed RGB view of the full-intensity capture, as stored; null on raw rows"
_PREVIEW = "small 8-bit JPEG quick-look (raw rows: demosaiced and stretched)"
_CONDITION_COLUMNS = {"view": _VIEW, "intensity": _INTENSITY, "rgb": _RGB}

CONFIGS: dict[str, ConfigSpec] = {
    spec.name: spec
    for spec in (
        ConfigSpec(
            name="microscopy",
            description="Raw-Microscopy: 940 bright-field blood smear images (leukocyte classes), each as raw 16-bit "
            "RGGB mosaics at 7 intensities and 12 processed RGB views; one row per image and condition.",
            folder=microscopy.IMAGES,
            companion=microscopy.LABELS,
            features=microscopy_features,
            index=microscopy.index_microscopy,
            columns={
                "image_id": "file stem in the archive, e.g. `Ma190c_lame1_zone1_composite_Mcropped_1`",
                "preview": _PREVIEW,
                "label": "the authors' class id: codes of their allow-list with at least "
                f"{AUTHORS_MIN_CLASS_SIZE} lines in the label file, sorted (published: "
                f"{', '.join(MICROSCOPY_CLASSES)}); -1 where they drop the code",
                "annotation": "the class code exactly as in the label file (nothing annotated is dropped)",
                "authors_excluded": "true for images the authors left out of training (kept here, flagged)",
                "slide, zone": "slide (`lameN`) and zone (`zoneN`) read from the name, for grouped splits",
                "label_order": "the image's place in the label file (0-based, lines in file order): the order the "
                "authors' split and folds take the images in (`drift.folds`)",
                **_CONDITION_COLUMNS,
                "raw": f"{BAYER_PATTERN} Bayer mosaic exactly as in the TIFF (uint16 256x256); null on view rows",
            },
            has_views=True,
            default=True,
            card_section="microscopy.md",
            card_facts=card_sections.microscopy_facts,
            figures=figures.microscopy_figures,
            published=Published(rows_per_split=microscopy.published_rows_per_split),
        ),
        ConfigSpec(
            name="drone",
            description="Raw-Drone tiles: 548 aerial 256x256 tiles with cars and their car masks, each as raw 12-bit "
            "RGGB mosaics at 7 intensities and 12 processed RGB views; split by source frame.",
            folder=TILES,
            companion=TILE_MASKS,
            features=drone_features,
            index=drone.index_drone,
            columns={
                "image_id": "tile name `NN_IIIII`: frame NN, kept tile IIIII",
                "preview": _PREVIEW,
                "mask": "car mask, 1-bit PNG: decodes to a bool array (source non-zero -> True)",
                "car_fraction": "share of car pixels in the mask",
                "frame_id": "`NN` of the tile's name: the number the archive gives its full frame",
                "frame": "file stem of the full frame the tile was cut from, found by content (the 256-grid cell it "
                "equals)",
                "authors_split": "`train` or `validation`: the authors' random tile split, to reproduce their "
                "numbers (tiles of one frame on both sides)",
                **_CONDITION_COLUMNS,
                "raw": f"{BAYER_PATTERN} Bayer mosaic exactly as in the TIFF (uint16 256x256, 12-bit values "
                "left-justified: multiples of 16); null on view rows",
            },
            has_views=True,
            card_section="drone.md",
            card_facts=card_sections.drone_facts,
            figures=figures.drone_figures,
            published=Published(total_rows=DRONE_TILES * CONDITIONS_PER_IMAGE),
        ),
        ConfigSpec(
            name="drone_full",
            description="Raw-Drone full frames: the 12 raw 3648x5472 RGGB frames the tiles were cut from, with full "
            "car masks, at every intensity present; same frame split as `drone`.",
            folder=FRAMES,
            companion=FRAME_MASKS,
            features=lambda view_dtype: drone_full_features(),
            index=drone_full.index_drone_full,
            columns={
                "image_id": "file stem of the full frame in the archive",
                "preview": "8-bit JPEG quick-look (at most 512 pixels a side), demosaiced and stretched",
                "mask": "car mask of the frame, 1-bit PNG decoding to bool",
                "frame_id": "the `NN` of the frame's tiles",
                "intensity": _INTENSITY,
                "raw": f"{BAYER_PATTERN} Bayer mosaic as the bytes of a lossless 16-bit grayscale PNG: "
                "`np.asarray(PIL.Image.open(io.BytesIO(raw)))` gives the uint16 values exactly (`pixels` does it)",
            },
            card_section="drone_full.md",
            card_facts=card_sections.drone_full_facts,
            published=Published(),
        ),
        ConfigSpec(
            name="drone_classification",
            description="Raw-Drone car / no-car classification: the authors' 930 balanced 256x256 cells of the full "
            "frames (chosen from the car masks by their rule), as raw 12-bit RGGB mosaics at every intensity "
            "present; same frame split as `drone`.",
            folder=FRAMES,
            companion=FRAME_MASKS,
            features=lambda view_dtype: drone_classification_features(),
            index=drone_classification.index_drone_classification,
            columns={
                "image_id": "the authors' id `NN_IIIII`: frame NN; IIIII numbers the kept car cells from 0, then "
                "the no-car cells",
                "preview": "small 8-bit JPEG quick-look, demosaiced and stretched",
                "label": "`car` (0) or `no_car` (1), the authors' class ids",
                "mask": "car mask of the cell, 1-bit PNG decoding to bool",
                "car_fraction": "share of car pixels in the mask: 0 for `no_car`, above 0.01 for `car`",
                "frame_id": "`NN`: the frame's 0-based position in the sorted listing of the full frames",
                "frame": "file stem of the full frame the cell is cut from",
                "grid_row, grid_col": "the cell's position in the frame's 256-pixel grid (row by row from the top "
                "left)",
                "authors_split": "`train` or `validation`: the authors' `StratifiedShuffleSplit(train_size=0.8, "
                "random_state=1)` over the set in id order, to reproduce their numbers (frames on both sides)",
                "intensity": _INTENSITY,
                "raw": f"{BAYER_PATTERN} Bayer mosaic, the cell of the full frame exactly (uint16 256x256, 12-bit "
                "values left-justified)",
            },
            card_section="drone_classification.md",
            card_facts=card_sections.drone_classification_facts,
            figures=figures.drone_classification_figures,
            published=Published(total_rows=DRONE_CLASSIFICATION_TILES * len(INTENSITIES)),
            compared=drone_classification.AUTHORS_FOLDER,
            is_compared=drone_classification.is_authors_file,
        ),
    )
}


def config(name: str) -> ConfigSpec:
    if name not in CONFIGS:
        raise InvalidArgumentError(f"unknown config {name!r}; the configs are {', '.join(CONFIGS)}")
    return CONFIGS[name]


def default_config() -> str:
    return next(name for name, spec in CONFIGS.items() if spec.default)


def index_config(archive: Archive, name: str, allow_missing: bool = False) -> ConfigIndex:
    """Check the part of `archive` that config `name` reads and index its rows."""
    folder = config(name).folder
    if not archive.has_folder(folder):
        raise ArchiveNotFoundError(f"no {folder}/ folder in the archive, which config {name} reads")
    return config(name).index(archive, allow_missing)


def configs_in(archive: Archive) -> list[str]:
    """The configs whose folder is in the archive (a download may hold only one dataset)."""
    return [name for name, spec in CONFIGS.items() if archive.has_folder(spec.folder)]


def detect_view_dtype(archive: Archive, name: str) -> str:
    """The processed views' dtype of config `name` (uint8 for configs without views)."""
    spec = config(name)
    return conditions.detect_view_dtype(archive, spec.folder) if spec.has_views else "uint8"


def _unread_part(path: str, known: set[str]) -> str | None:
    """The folder (or file) holding `path` that no config reads; None when a config reads `path`
    (or reports it as misplaced: a stray file among the images or masks is an error)."""
    parts = path.split("/")
    for spec in CONFIGS.values():
        root = spec.folder.split("/")
        if parts[: len(root)] == root:
            head = parts[len(root)]
            if len(parts) == len(root) + 1 or conditions.is_condition_folder(head, spec.has_views):
                return None
            return "/".join([*root, head]) + "/"
        if path.startswith(spec.companion + "/") or spec.is_compared(path):
            return None
    depth = next(depth for depth in range(1, len(parts) + 1) if "/".join(parts[:depth]) not in known)
    return "/".join(parts[:depth]) + ("/" if depth < len(parts) else "")


def unread(archive: Archive) -> list[str]:
    """The folders and files of the archive that no config reads (e.g. the authors' `rgb_scaleXXX/`),
    each named once, sorted."""
    read = [PurePosixPath(f) for spec in CONFIGS.values() for f in (spec.folder, spec.companion, spec.compared) if f]
    known = {str(parent) for folder in read for parent in (folder, *folder.parents) if str(parent) != "."}
    return sorted({part for path in archive.paths("") if (part := _unread_part(path, known)) is not None})
