"""The package's configs: which part of the archive each one reads, and how it is indexed."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

import datasets
import pyarrow as pa

from conversion import conditions, drone, drone_classification, microscopy
from conversion.archive import Archive
from conversion.errors import ArchiveNotFoundError, Lens2LogitError
from conversion.features import (
    drone_classification_features,
    drone_features,
    drone_full_features,
    microscopy_features,
)

DESCRIPTIONS = {
    "microscopy": (
        "Raw-Microscopy: 940 bright-field blood smear images (leukocyte classes), each as raw 16-bit "
        "RGGB mosaics at 7 intensities and 12 processed RGB views; one row per image and condition."
    ),
    "drone": (
        "Raw-Drone tiles: 548 aerial 256x256 tiles with cars and their car masks, each as raw 12-bit RGGB "
        "mosaics at 7 intensities and 12 processed RGB views; split by source frame."
    ),
    "drone_full": (
        "Raw-Drone full frames: the 12 raw 3648x5472 RGGB frames the tiles were cut from, with full car "
        "masks, at every intensity present; same frame split as `drone`."
    ),
    "drone_classification": (
        "Raw-Drone car / no-car classification: the authors' 930 balanced 256x256 cells of the full frames "
        "(chosen from the car masks by their rule), as raw 12-bit RGGB mosaics at every intensity present; "
        "same frame split as `drone`."
    ),
}


class ConfigIndex(Protocol):
    """What the converter and the builder need of a checked part of the archive."""

    name: str
    skipped: list[str]
    tables_per_shard: int | None  # None: shards are bounded by size only

    @property
    def features(self) -> datasets.Features: ...

    def num_rows(self, split: str) -> int: ...

    def tables(self, archive: Archive, split: str) -> Iterator[tuple[str, str, pa.Table]]: ...


@dataclass(frozen=True)
class Config:
    folder: str  # the archive folder the config reads
    index: Callable[[Archive, bool], ConfigIndex]
    features: Callable[[str], datasets.Features]  # of the processed views' dtype
    has_views: bool  # processed views under `folder`, whose dtype is read from the archive
    companion: str  # the folder of the labels or masks that go with `folder`
    compared: str = ""  # a folder of the authors' own outputs that the config compares its rows with
    is_compared: Callable[[str], bool] = lambda path: False  # which files of `compared` it reads

    @property
    def dataset(self) -> str:
        """The dataset of the archive the config belongs to: `microscopy` or `drone`."""
        return self.folder.split("/")[0]


CONFIGS = {
    "microscopy": Config(microscopy.IMAGES, microscopy.index_microscopy, microscopy_features, True, microscopy.LABELS),
    "drone": Config(drone.TILES, drone.index_drone, drone_features, True, drone.TILE_MASKS),
    "drone_full": Config(
        drone.FRAMES, drone.index_drone_full, lambda _: drone_full_features(), False, drone.FRAME_MASKS
    ),
    "drone_classification": Config(
        drone.FRAMES,
        drone_classification.index_drone_classification,
        lambda _: drone_classification_features(),
        False,
        drone.FRAME_MASKS,
        drone_classification.AUTHORS_FOLDER,
        drone_classification.is_authors_file,
    ),
}
CONFIG_NAMES = tuple(CONFIGS)


def config(name: str) -> Config:
    if name not in CONFIGS:
        raise Lens2LogitError(f"unknown config {name!r}; the configs are {', '.join(CONFIG_NAMES)}")
    return CONFIGS[name]


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


_READ_FOLDERS = [
    PurePosixPath(folder)
    for spec in CONFIGS.values()
    for folder in (spec.folder, spec.companion, spec.compared)
    if folder
]
# Every folder a config reads, and the folders above them.
_KNOWN_FOLDERS = {str(parent) for folder in _READ_FOLDERS for parent in (folder, *folder.parents) if str(parent) != "."}


def _unread_part(path: str) -> str | None:
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
    depth = next(depth for depth in range(1, len(parts) + 1) if "/".join(parts[:depth]) not in _KNOWN_FOLDERS)
    return "/".join(parts[:depth]) + ("/" if depth < len(parts) else "")


def unread(archive: Archive) -> list[str]:
    """The folders and files of the archive that no config reads (e.g. the authors' `rgb_scaleXXX/`),
    each named once, sorted."""
    return sorted({part for path in archive.paths("") if (part := _unread_part(path)) is not None})
