"""Condition folders shared by the datasets: `raw_scaleXXX/` captures and `processed_views/<pipeline>/`.

A condition is one raw intensity or one processed view; its folder holds one file per image.
"""

from dataclasses import dataclass
from pathlib import PurePosixPath

from .. import images
from ..errors import ArchiveLayoutError, ArchiveNotFoundError
from ..facts import (
    FULL_INTENSITY,
    INTENSITIES,
    PROCESSED_VIEWS,
    RAW_VIEW,
    TILE_SHAPE,
)
from ..naming import (
    canonical_view,
    condition_order,
    intensity_folder,
    is_intensity_folder,
    parse_intensity_folder,
)
from .reader import Archive

PROCESSED = "processed_views"
TIFF_SUFFIXES = (".tif", ".tiff")
VIEW_SUFFIXES = (".tif", ".tiff", ".png")
REFERENCE = intensity_folder(FULL_INTENSITY)  # the condition every other one is checked against


@dataclass(frozen=True)
class Condition:
    """One raw intensity or one processed view: the images recorded under it."""

    name: str  # shard name: `raw_scale005` or a canonical view name
    intensity: float
    view: str  # `raw` or a canonical view name
    files: dict[str, str]  # image_id -> archive path


class Problems:
    """Raise each inconsistency, or record it when the user allowed incomplete archives."""

    def __init__(self, allow_missing: bool):
        self.allow_missing = allow_missing
        self.found: list[str] = []

    def report(self, error: Exception) -> None:
        if not self.allow_missing:
            raise error
        self.found.append(str(error))


def files_by_stem(archive: Archive, folder: str, suffixes: tuple[str, ...]) -> dict[str, str]:
    """image_id -> path of the files directly in `folder`; anything else there is an error."""
    files: dict[str, str] = {}
    for path in archive.paths(folder):
        file = PurePosixPath(path)
        if str(file.parent) != folder or file.suffix.lower() not in suffixes:
            raise ArchiveLayoutError(
                f"{archive.where(path)}: unexpected file; {folder}/ holds {'/'.join(suffixes)} files"
            )
        if file.stem in files:
            raise ArchiveLayoutError(
                f"{archive.where(path)}: image {file.stem} is already in {archive.where(files[file.stem])}"
            )
        files[file.stem] = path
    return files


def require(archive: Archive, folder: str) -> None:
    if not archive.has_folder(folder):
        raise ArchiveNotFoundError(f"no {folder}/ folder in the archive")


def paired(archive: Archive, images: dict[str, str], masks: dict[str, str], problems: Problems) -> list[str]:
    """Image ids with a mask; an image without a mask or a mask without an image is a problem."""
    for image_id in sorted(images.keys() - masks.keys()):
        problems.report(ArchiveLayoutError(f"{archive.where(images[image_id])}: no mask for it"))
    for image_id in sorted(masks.keys() - images.keys()):
        problems.report(ArchiveLayoutError(f"{archive.where(masks[image_id])}: mask of no image"))
    return sorted(images.keys() & masks.keys())


def is_condition_folder(name: str, with_views: bool = True) -> bool:
    """Whether a folder under a config's root holds a condition: `raw_scaleXXX/` or `processed_views/`."""
    return is_intensity_folder(name) or (with_views and name.lower() == PROCESSED)


def scan_conditions(
    archive: Archive, root: str, raw_suffixes: tuple[str, ...], with_views: bool = True
) -> dict[str, Condition]:
    """All condition folders under `root`, with their files by image_id."""
    conditions: dict[str, Condition] = {}
    folders: dict[str, str] = {}  # condition name -> the folder it was read from
    depth = len(root.split("/"))
    for path in archive.paths(root):
        where = archive.where(path)
        parts = path.split("/")[depth:]
        if len(parts) > 1 and not is_condition_folder(parts[0], with_views):
            continue  # a folder no config reads (e.g. the authors' rgb_scaleXXX/): see `unread`
        if len(parts) == 2 and is_intensity_folder(parts[0]):
            intensity = parse_intensity_folder(parts[0], where)
            name, view, suffixes = intensity_folder(intensity), RAW_VIEW, raw_suffixes
        elif len(parts) == 3 and parts[0].lower() == PROCESSED:
            intensity, view, suffixes = FULL_INTENSITY, canonical_view(parts[1], where), VIEW_SUFFIXES
            name = view
        else:
            allowed = f"raw_scaleXXX/ or {PROCESSED}/<pipeline>/" if with_views else "raw_scaleXXX/"
            raise ArchiveLayoutError(f"{where}: unexpected file; {root}/ holds images in {allowed}")
        file = PurePosixPath(path)
        if file.suffix.lower() not in suffixes:
            raise ArchiveLayoutError(f"{where}: expected a {'/'.join(suffixes)} file here")
        folder = str(file.parent)
        if folders.setdefault(name, folder) != folder:
            raise ArchiveLayoutError(f"{where}: folders {folders[name]} and {folder} both hold {name}; keep one")
        condition = conditions.setdefault(name, Condition(name, intensity, view, {}))
        if file.stem in condition.files:
            raise ArchiveLayoutError(
                f"{where}: image {file.stem} is already in {archive.where(condition.files[file.stem])}"
            )
        condition.files[file.stem] = path
    return conditions


def folder_of(archive: Archive, path: str) -> str:
    """Where the folder of a file really is, for messages."""
    return archive.where(path).rsplit("/", 1)[0]


def reconcile_conditions(
    archive: Archive,
    conditions: dict[str, Condition],
    root: str,
    problems: Problems,
    expected: tuple[str, ...] = (*map(intensity_folder, INTENSITIES), *PROCESSED_VIEWS),
) -> set[str]:
    """The image ids of `raw_scale100`; a missing folder, a missing or an extra image is a problem.

    Extra images are dropped from their condition, so only ids of the reference remain.
    """
    reference = conditions.get(REFERENCE)
    if reference is None:
        raise ArchiveNotFoundError(f"no {root}/{REFERENCE}/ folder in the archive")
    for name in expected:
        if name not in conditions:
            problems.report(ArchiveNotFoundError(f"no folder for {name} in {root}/ of the archive"))
    for _, condition in sorted(conditions.items()):
        if missing := sorted(reference.files.keys() - condition.files.keys()):
            problems.report(
                ArchiveLayoutError(
                    f"{folder_of(archive, next(iter(condition.files.values())))}: {len(missing)} image(s) of "
                    f"{REFERENCE} missing: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"
                )
            )
        for image_id in sorted(condition.files.keys() - reference.files.keys()):
            problems.report(
                ArchiveLayoutError(f"{archive.where(condition.files.pop(image_id))}: no such image in {REFERENCE}")
            )
    return set(reference.files)


def keep_images(conditions: dict[str, Condition], keep: set[str]) -> list[Condition]:
    """The conditions in the package's row order (`condition_order`), each with only `keep`, sorted."""
    order = condition_order()
    return [
        Condition(c.name, c.intensity, c.view, {i: p for i, p in sorted(c.files.items()) if i in keep})
        for c in sorted(conditions.values(), key=lambda c: order.index(c.name))
    ]


def detect_view_dtype(archive: Archive, root: str) -> str:
    """The dtype of the processed views under `root`, without checking the rest of the archive."""
    return view_dtype(
        archive, [condition for _, condition in sorted(scan_conditions(archive, root, TIFF_SUFFIXES).items())]
    )


def view_dtype(archive: Archive, conditions: list[Condition]) -> str:
    """The dtype of the processed views (read from the first view file that decodes); uint8 when there are none."""
    for condition in conditions:
        for path in condition.files.values() if condition.view != RAW_VIEW else ():
            if (view := archive.decode(path, images.decode_view, TILE_SHAPE)) is not None:
                return view.dtype.name
    return "uint8"
