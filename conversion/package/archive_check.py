"""Check an archive without converting it: the layout of every config present, that drone tiles are cut
from their full frames, and how close the stored processed views are to the pipelines run on the raw images."""

from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from ..archive.drone import DroneIndex
from ..archive.drone_classification import AuthorsComparison, DroneClassificationIndex
from ..archive.drone_full import DroneFullIndex
from ..archive.reader import Archive
from ..archive.tiling_check import TilingReport, check_tiling
from ..archive.view_check import ViewComparison, compare_views
from ..errors import ArchiveNotFoundError, CorruptArchiveError, ImageFormatError, Lens2LogitError
from ..facts import SPLITS
from .configs import CONFIGS, ConfigIndex, config, configs_in, index_config, unread
from .files import is_package


@dataclass
class ArchiveReport:
    rows: dict[str, int] = field(default_factory=dict)  # config -> rows its files make
    decoded: int = 0  # image files decoded (each once, though configs share them)
    unreadable: list[str] = field(default_factory=list)  # what went wrong with each file that did not decode
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
    """Index every config present, listing what is missing, and decode every file its rows are made from; when all
    decode, compare the stored views (if any) with the pipelines, then check the tiling if tiles and frames are both
    there."""
    report = ArchiveReport(unread=unread(archive))
    unreadable = archive.collect_unreadable()  # indexing reads some files: it goes on past those that fail
    names = require_configs(archive, sources)
    indexes = {name: index for name in names if (index := _index(archive, name, report, unreadable))}
    _decode_all(archive, indexes, report, unreadable, progress)
    report.unreadable = [unreadable[path] for path in sorted(unreadable)]
    report.problems += report.unreadable
    for name, index in indexes.items():
        report.rows[name] = sum(index.num_rows(split) for split in SPLITS)
        report.problems += [f"{name}: {problem}" for problem in index.skipped]
    if report.unreadable:
        return report  # the comparisons below read the files again: first make every file readable
    for name, index in indexes.items():
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


def _index(archive: Archive, name: str, report: ArchiveReport, unreadable: dict[str, str]) -> ConfigIndex | None:
    """The config's index, or None when it could not be made because files it reads did not decode."""
    try:
        return index_config(archive, name, allow_missing=True)
    except Lens2LogitError as error:
        if not unreadable:
            raise
        report.problems.append(f"{name}: not indexed, as files it reads did not decode ({error})")
        return None


def _decode_all(
    archive: Archive, indexes: dict[str, ConfigIndex], report: ArchiveReport, unreadable: dict[str, str], progress: bool
) -> None:
    """Decode every file the configs' rows are made from, at every intensity, as `convert` does (each once,
    though configs share them), adding what went wrong with each file that fails to `unreadable`."""
    paths = {
        condition.files[image_id]: (index, condition, image_id)
        for index in indexes.values()
        for condition in index.conditions
        for image_id in condition.files
        if not archive.is_unreadable(condition.files[image_id])
    }
    for path, (index, condition, image_id) in tqdm(
        paths.items(), desc="decode", unit=" files", disable=None if progress else True
    ):
        report.decoded += 1
        try:
            index.decode(archive, condition, image_id)
        except (ImageFormatError, CorruptArchiveError) as error:
            unreadable[path] = str(error)


# The indexes with checks of their own: the authors' classification files, and tiles against their frames.
_CHECKED_KINDS = (DroneClassificationIndex, DroneIndex, DroneFullIndex)


def _index_of(indexes: dict, kind: type):
    return next((index for index in indexes.values() if type(index) is kind), None)
