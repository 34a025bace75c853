"""The package's configs: which part of the archive each one reads, and how it is indexed."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import datasets
import pyarrow as pa

from conversion import conditions, drone, microscopy
from conversion.archive import Archive
from conversion.errors import ArchiveNotFoundError, Lens2LogitError
from conversion.features import drone_features, drone_full_features, microscopy_features

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

    @property
    def dataset(self) -> str:
        """The dataset of the archive the config belongs to: `microscopy` or `drone`."""
        return self.folder.split("/")[0]


CONFIGS = {
    "microscopy": Config(microscopy.IMAGES, microscopy.index_microscopy, microscopy_features, True),
    "drone": Config(drone.TILES, drone.index_drone, drone_features, True),
    "drone_full": Config(drone.FRAMES, drone.index_drone_full, lambda _: drone_full_features(), False),
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
