"""Check an archive without converting it: the layout of every config present, that drone tiles are cut
from their full frames, and how close the stored processed views are to the pipelines run on the raw images."""

from dataclasses import dataclass, field
from pathlib import Path

from ..archive.drone import DroneIndex
from ..archive.drone_classification import AuthorsComparison, DroneClassificationIndex
from ..archive.drone_full import DroneFullIndex
from ..archive.reader import Archive
from ..archive.tiling_check import TilingReport, check_tiling
from ..archive.view_check import ViewComparison, compare_views
from ..errors import ArchiveNotFoundError
from ..facts import SPLITS
from .configs import CONFIGS, config, configs_in, index_config, unread
from .files import is_package


@dataclass
class ArchiveReport:
    rows: dict[str, int] = field(default_factory=dict)  # config -> rows its files make
    tiling: TilingReport | None = None  # None when the archive lacks tiles or frames
    unread: list[str] = field(default_factory=list)  # folders and files of the archive no config reads
    numbering: str = ""  # how tile names number their frames (drone archives)
    authors: AuthorsComparison | None = None  # the authors' classification files, when checked
    views: list[ViewComparison] = field(default_factory=list)  # stored views vs the pipelines, per config
    problems: list[str] = field(default_factory=list)


def require_configs(archive: Archive, sources: list[Path]) -> list[str]:
    """The configs whose folder is in the archive; an error saying what was given when there are none."""
    names = configs_in(archive)
    if names:
        return names
    shown = ", ".join(map(str, sources))
    if any(is_package(source) for source in sources):
        raise ArchiveNotFoundError(f"{shown}: is a converted package, not an archive; pass the archive it came from")
    folders = ", ".join(f"{spec.folder}/" for spec in CONFIGS.values())
    raise ArchiveNotFoundError(f"{shown}: holds none of the folders a config reads ({folders}); nothing to do")


def check_archive(archive: Archive, sources: list[Path], progress: bool = True) -> ArchiveReport:
    """Index every config present, listing what is missing, compare its stored views (if any) with the pipelines,
    then check the tiling if tiles and frames are both there."""
    report = ArchiveReport(unread=unread(archive))
    indexes = {name: index_config(archive, name, allow_missing=True) for name in require_configs(archive, sources)}
    for name, index in indexes.items():
        report.rows[name] = sum(index.num_rows(split) for split in SPLITS)
        report.problems += [f"{name}: {problem}" for problem in index.skipped]
        if config(name).has_views and (
            views := compare_views(archive, name, index.conditions, config(name).dataset, progress)
        ):
            report.views.append(views)
    classification, tiles, frames = (_index_of(indexes, kind) for kind in _CHECKED_KINDS)
    if classification is not None:
        report.authors = classification.authors
        report.problems += report.authors.differences
    if tiles is not None and frames is not None:
        report.numbering = tiles.numbering
        report.tiling = check_tiling(archive, tiles, frames, progress)
        report.problems += report.tiling.problems
    return report


# The indexes with checks of their own: the authors' classification files, and tiles against their frames.
_CHECKED_KINDS = (DroneClassificationIndex, DroneIndex, DroneFullIndex)


def _index_of(indexes: dict, kind: type):
    return next((index for index in indexes.values() if type(index) is kind), None)
