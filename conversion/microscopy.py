"""The microscopy part of the archive: index its files and labels, generate its rows as Arrow tables."""

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import datasets
import pyarrow as pa

from conversion import arrow, images
from conversion.archive import Archive
from conversion.constants import (
    AUTHORS_EXCLUDED_IMAGES,
    AUTHORS_MIN_CLASS_SIZE,
    FULL_INTENSITY,
    INTENSITIES,
    MICROSCOPY_ABSENT_CODES,
    MICROSCOPY_CLASSES,
    PROCESSED_VIEWS,
    RAW_VIEW,
    ROWS_PER_ROW_GROUP,
    TILE_SHAPE,
)
from conversion.errors import (
    ArchiveLayoutError,
    ArchiveNotFoundError,
    ImageFormatError,
    LabelFileError,
)
from conversion.labels import Label, parse_labels
from conversion.layout import canonical_view, intensity_folder, parse_intensity_folder
from conversion.splits import stratified_split

IMAGES = "microscopy/images"
LABELS = "microscopy/labels"
PROCESSED = "processed_views"
RAW_SUFFIXES = (".tif", ".tiff")
VIEW_SUFFIXES = (".tif", ".tiff", ".png")
_SLIDE_ZONE = re.compile(r"lame(\d+)_zone(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Condition:
    """One raw intensity or one processed view: the images recorded under it."""

    name: str  # shard name: `raw_scale005` or a canonical view name
    intensity: float
    view: str  # `raw` or a canonical view name
    files: dict[str, str]  # image_id -> archive path


@dataclass(frozen=True)
class MicroscopyImage:
    image_id: str
    slide: int
    zone: int
    label: str
    split: str
    authors_excluded: bool


@dataclass
class MicroscopyIndex:
    images: dict[str, MicroscopyImage]  # sorted by image_id
    conditions: list[Condition]  # sorted by name, the order of the package's shard files
    view_dtype: str
    skipped: list[str] = field(default_factory=list)  # problems let through by allow_missing

    def image_ids(self, split: str) -> list[str]:
        return [image_id for image_id, image in self.images.items() if image.split == split]

    def num_rows(self, split: str) -> int:
        image_ids = self.image_ids(split)
        return sum(image_id in condition.files for condition in self.conditions for image_id in image_ids)


class _Problems:
    """Raise each inconsistency, or record it when the user allowed incomplete archives."""

    def __init__(self, allow_missing: bool):
        self.allow_missing = allow_missing
        self.found: list[str] = []

    def report(self, error: Exception) -> None:
        if not self.allow_missing:
            raise error
        self.found.append(str(error))


def _folder_of(archive: Archive, path: str) -> str:
    return archive.where(path).rsplit("/", 1)[0]


def _scan_conditions(archive: Archive) -> dict[str, Condition]:
    """All condition folders under microscopy/images, with their files by image_id."""
    conditions: dict[str, Condition] = {}
    folders: dict[str, str] = {}  # condition name -> the folder it was read from
    for path in archive.paths(IMAGES):
        where = archive.where(path)
        parts = path.split("/")[2:]
        if len(parts) == 2:
            intensity = parse_intensity_folder(parts[0], where)
            name, view, suffixes = intensity_folder(intensity), RAW_VIEW, RAW_SUFFIXES
        elif len(parts) == 3 and parts[0].lower() == PROCESSED:
            intensity, view, suffixes = (
                FULL_INTENSITY,
                canonical_view(parts[1], where),
                VIEW_SUFFIXES,
            )
            name = view
        else:
            raise ArchiveLayoutError(
                f"{where}: unexpected file; microscopy images belong in images/raw_scaleXXX/ "
                f"or images/{PROCESSED}/<pipeline>/"
            )
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


def _read_labels(archive: Archive) -> dict[str, Label]:
    label_files = [p for p in archive.paths(LABELS) if p.lower().endswith(".dat")]
    if not label_files:
        raise ArchiveNotFoundError(f"no label file (*.dat) in {LABELS}/ of the archive")
    texts = [(_label_text(archive, path), archive.where(path)) for path in label_files]
    return parse_labels(texts, MICROSCOPY_CLASSES, MICROSCOPY_ABSENT_CODES)


def _label_text(archive: Archive, path: str) -> str:
    try:
        return archive.read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LabelFileError(f"{archive.where(path)}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _reconcile(
    archive: Archive,
    conditions: dict[str, Condition],
    labels: dict[str, Label],
    problems: _Problems,
) -> list[str]:
    """Image ids present at full intensity and labelled; every other mismatch is a problem."""
    reference = conditions.get(intensity_folder(FULL_INTENSITY))
    if reference is None:
        raise ArchiveNotFoundError(f"no {IMAGES}/{intensity_folder(FULL_INTENSITY)}/ folder in the archive")
    expected = [intensity_folder(i) for i in INTENSITIES] + list(PROCESSED_VIEWS)
    for name in expected:
        if name not in conditions:
            problems.report(ArchiveNotFoundError(f"no folder for {name} in {IMAGES}/ of the archive"))
    for _, condition in sorted(conditions.items()):
        if missing := sorted(reference.files.keys() - condition.files.keys()):
            problems.report(
                ArchiveLayoutError(
                    f"{_folder_of(archive, next(iter(condition.files.values())))}: {len(missing)} image(s) of "
                    f"{reference.name} missing: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"
                )
            )
        for image_id in sorted(condition.files.keys() - reference.files.keys()):
            problems.report(
                ArchiveLayoutError(f"{archive.where(condition.files.pop(image_id))}: no such image in {reference.name}")
            )
    for name in sorted(labels.keys() - reference.files.keys()):
        problems.report(LabelFileError(f"{labels[name].where}: no image {name!r} in {reference.name}"))
    for image_id in sorted(reference.files.keys() - labels.keys()):
        problems.report(LabelFileError(f"{archive.where(reference.files[image_id])}: image has no label in {LABELS}/"))
    return sorted(reference.files.keys() & labels.keys())


def _slide_zone(image_id: str, where: str) -> tuple[int, int]:
    match = _SLIDE_ZONE.search(image_id)
    if match is None:
        raise ArchiveLayoutError(f"{where}: image name has no 'lameN_zoneN' part to read slide and zone from")
    return int(match.group(1)), int(match.group(2))


def _view_dtype(archive: Archive, conditions: list[Condition]) -> str:
    """The dtype of the processed views (read from the first view file); uint8 when there are none."""
    for condition in conditions:
        if condition.view != RAW_VIEW and condition.files:
            path = next(iter(condition.files.values()))
            return images.decode_view(archive.read_bytes(path), TILE_SHAPE, archive.where(path)).dtype.name
    return "uint8"


def detect_view_dtype(archive: Archive) -> str:
    """The dtype of the archive's processed views, without checking the rest of the archive."""
    return _view_dtype(archive, [condition for _, condition in sorted(_scan_conditions(archive).items())])


def index_microscopy(archive: Archive, allow_missing: bool = False) -> MicroscopyIndex:
    """Check the microscopy part of the archive and list its images, labels, splits and conditions."""
    if not archive.has_folder(IMAGES):
        raise ArchiveNotFoundError(f"no {IMAGES}/ folder in the archive")
    problems = _Problems(allow_missing)
    conditions = _scan_conditions(archive)
    labels = _read_labels(archive)
    image_ids = _reconcile(archive, conditions, labels, problems)
    keep = set(image_ids)
    ordered = [
        Condition(c.name, c.intensity, c.view, {i: p for i, p in sorted(c.files.items()) if i in keep})
        for _, c in sorted(conditions.items())
    ]
    codes = {image_id: labels[image_id].code for image_id in image_ids}
    splits = stratified_split(codes)
    class_sizes = Counter(codes.values())
    reference = conditions[intensity_folder(FULL_INTENSITY)]
    index_images = {}
    for image_id in image_ids:
        slide, zone = _slide_zone(image_id, archive.where(reference.files[image_id]))
        excluded = image_id in AUTHORS_EXCLUDED_IMAGES or class_sizes[codes[image_id]] < AUTHORS_MIN_CLASS_SIZE
        index_images[image_id] = MicroscopyImage(image_id, slide, zone, codes[image_id], splits[image_id], excluded)
    return MicroscopyIndex(index_images, ordered, _view_dtype(archive, ordered), problems.found)


def _rows_table(
    archive: Archive,
    index: MicroscopyIndex,
    condition: Condition,
    image_ids: list[str],
    features: datasets.Features,
) -> pa.Table:
    raws, rgbs, previews = [], [], []
    for image_id in image_ids:
        path = condition.files[image_id]
        data, where = archive.read_bytes(path), archive.where(path)
        if condition.view == RAW_VIEW:
            mosaic = images.decode_raw(data, TILE_SHAPE, where)
            raws.append(mosaic)
            rgbs.append(None)
            previews.append(images.raw_preview(mosaic))
            continue
        pixels = images.decode_view(data, TILE_SHAPE, where)
        if pixels.dtype.name != index.view_dtype:
            raise ImageFormatError(
                f"{where}: view is {pixels.dtype.name} but the other views are {index.view_dtype}; "
                "all processed views must share one dtype"
            )
        raws.append(None)
        rgbs.append(images.view_png(data, pixels) if index.view_dtype == "uint8" else pixels)
        previews.append(images.view_preview(pixels))
    rows = [index.images[image_id] for image_id in image_ids]
    rgb_feature = features["rgb"]
    columns = {
        "image_id": image_ids,
        "slide": [row.slide for row in rows],
        "zone": [row.zone for row in rows],
        "split": [row.split for row in rows],
        "intensity": [condition.intensity] * len(rows),
        "view": [features["view"].str2int(condition.view)] * len(rows),
        "raw": arrow.array_column(raws, features["raw"]),
        "rgb": arrow.image_column(rgbs)
        if isinstance(rgb_feature, datasets.Image)
        else arrow.array_column(rgbs, rgb_feature),
        "label": [features["label"].str2int(row.label) for row in rows],
        "authors_excluded": [row.authors_excluded for row in rows],
        "preview": arrow.image_column(previews),
    }
    return arrow.table(columns, features)


def iter_tables(
    archive: Archive, index: MicroscopyIndex, split: str, features: datasets.Features
) -> Iterator[tuple[str, str, pa.Table]]:
    """(condition name, key, table of <= ROWS_PER_ROW_GROUP rows) in package row order."""
    image_ids = index.image_ids(split)
    for condition in index.conditions:
        present = [image_id for image_id in image_ids if image_id in condition.files]
        for start in range(0, len(present), ROWS_PER_ROW_GROUP):
            batch = present[start : start + ROWS_PER_ROW_GROUP]
            yield (
                condition.name,
                f"{condition.name}/{batch[0]}",
                _rows_table(archive, index, condition, batch, features),
            )
