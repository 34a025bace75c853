"""The microscopy part of the archive: index its files and labels, generate its rows as Arrow tables."""

import re
from dataclasses import dataclass, field

import datasets

from ..errors import ArchiveLayoutError, ArchiveNotFoundError, LabelFileError
from ..facts import AUTHORS_EXCLUDED_IMAGES, CONDITIONS_PER_IMAGE, MICROSCOPY_CLASS_COUNTS, SPLITS
from ..features import microscopy_features
from .conditions import (
    REFERENCE,
    TIFF_SUFFIXES,
    Condition,
    Problems,
    keep_images,
    reconcile_conditions,
    scan_conditions,
    view_dtype,
)
from .labels import Label, authors_classes, parse_labels
from .reader import Archive
from .splits import stratified_split
from .tile_rows import TileRows

IMAGES = "microscopy/images"
LABELS = "microscopy/labels"
_SLIDE_ZONE = re.compile(r"lame(\d+)_zone(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class MicroscopyImage:
    image_id: str
    slide: int
    zone: int
    annotation: str  # the class code exactly as in the label file
    split: str
    authors_excluded: bool
    label_order: int  # the image's place in the label file (0-based), the order of the authors' split


@dataclass
class MicroscopyIndex(TileRows):
    """The checked microscopy part of an archive: its images and conditions, and how to make its rows."""

    images: dict[str, MicroscopyImage]  # sorted by image_id
    conditions: list[Condition]  # sorted by name, the order of the package's shard files
    view_dtype: str
    classes: tuple[str, ...]  # the authors' classes, sorted: `label` ids
    skipped: list[str] = field(default_factory=list)  # problems let through by allow_missing

    @property
    def features(self) -> datasets.Features:
        return microscopy_features(self.view_dtype, self.classes)

    def image_ids(self, split: str) -> list[str]:
        return [image_id for image_id, image in self.images.items() if image.split == split]

    def label_id(self, annotation: str) -> int:
        """The authors' class id of a code, -1 for a code their loader drops."""
        return self.classes.index(annotation) if annotation in self.classes else -1

    def _image_columns(self, image_ids: list[str]) -> dict[str, list]:
        rows = [self.images[image_id] for image_id in image_ids]
        return {
            "image_id": image_ids,
            "slide": [row.slide for row in rows],
            "zone": [row.zone for row in rows],
            "label": [self.label_id(row.annotation) for row in rows],
            "annotation": [row.annotation for row in rows],
            "authors_excluded": [row.authors_excluded for row in rows],
            "label_order": [row.label_order for row in rows],
        }


def _read_labels(archive: Archive) -> dict[str, Label]:
    label_files = [p for p in archive.paths(LABELS) if p.lower().endswith(".dat")]
    if not label_files:
        raise ArchiveNotFoundError(f"no label file (*.dat) in {LABELS}/ of the archive")
    texts = [(_label_text(archive, path), archive.where(path)) for path in label_files]
    return parse_labels(texts)


def _label_text(archive: Archive, path: str) -> str:
    try:
        return archive.read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LabelFileError(f"{archive.where(path)}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _reconcile_labels(
    archive: Archive, reference: Condition, labels: dict[str, Label], problems: Problems
) -> list[str]:
    """Image ids both present at full intensity and labelled; a label or image without the other is a problem."""
    for name in sorted(labels.keys() - reference.files.keys()):
        problems.report(LabelFileError(f"{labels[name].where}: no image {name!r} in {REFERENCE}"))
    for image_id in sorted(reference.files.keys() - labels.keys()):
        problems.report(LabelFileError(f"{archive.where(reference.files[image_id])}: image has no label in {LABELS}/"))
    return sorted(reference.files.keys() & labels.keys())


def _authors_excluded(labels: dict[str, Label], classes: tuple[str, ...]) -> set[str]:
    """The images the authors' loader drops: the invalid file, and those whose code is not one of their classes."""
    dropped = {name for name, label in labels.items() if label.code not in classes}
    return dropped | (set(AUTHORS_EXCLUDED_IMAGES) & labels.keys())


def slide_zone(image_id: str, where: str) -> tuple[int, int]:
    match = _SLIDE_ZONE.search(image_id)
    if match is None:
        raise ArchiveLayoutError(f"{where}: image name has no 'lameN_zoneN' part to read slide and zone from")
    return int(match.group(1)), int(match.group(2))


def index_microscopy(archive: Archive, allow_missing: bool = False) -> MicroscopyIndex:
    """Check the microscopy part of the archive and list its images, labels, splits and conditions."""
    if not archive.has_folder(IMAGES):
        raise ArchiveNotFoundError(f"no {IMAGES}/ folder in the archive")
    problems = Problems(allow_missing)
    conditions = scan_conditions(archive, IMAGES, TIFF_SUFFIXES)
    reconcile_conditions(archive, conditions, IMAGES, problems)
    labels = _read_labels(archive)
    reference = conditions[REFERENCE]
    image_ids = _reconcile_labels(archive, reference, labels, problems)
    ordered = keep_images(conditions, set(image_ids))
    codes = {name: label.code for name, label in labels.items() if name in reference.files}  # label-file order
    classes = authors_classes(labels)
    excluded = _authors_excluded(labels, classes)
    splits = stratified_split(codes, excluded)
    order = {name: position for position, name in enumerate(labels)}  # labels are in file order
    index_images = {}
    for image_id in image_ids:
        slide, zone = slide_zone(image_id, archive.where(reference.files[image_id]))
        index_images[image_id] = MicroscopyImage(
            image_id, slide, zone, codes[image_id], splits[image_id], image_id in excluded, order[image_id]
        )
    return MicroscopyIndex(index_images, ordered, view_dtype(archive, ordered), classes, problems.found)


def published_rows_per_split() -> dict[str, int]:
    """Rows per split of the published microscopy data under the split rule."""
    labels = {f"{code}{i:04d}": code for code, count in MICROSCOPY_CLASS_COUNTS.items() for i in range(count)}
    # The invalid file is one of them; which class it has does not change the split's sizes.
    splits = list(stratified_split(labels, excluded={next(iter(labels))}).values())
    return {split: splits.count(split) * CONDITIONS_PER_IMAGE for split in SPLITS}
