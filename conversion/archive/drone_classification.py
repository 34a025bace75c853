"""The authors' car / no-car set (`drone_classification`): 256-grid cells of the full frames, chosen
from the frames' masks by their rule (`DroneDatasetClassificationTiled`), at every intensity.

Per full frame, in the sorted listing of `raw_scale100` (position NN), cells are taken row by row:
a cell whose mask is empty is `no_car`, one more than CAR_THRESHOLD car is `car`, anything between
is dropped; the larger class is cut to the size of the smaller after `random.seed(SELECTION_SEED)`.
Ids are the authors' `NN_IIIII`: the kept car cells from 0, then the no-car cells.
"""

import csv
import io
import itertools
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import datasets
import numpy as np
import pyarrow as pa

from .. import arrow, images
from ..errors import ImageFormatError
from ..facts import (
    CAR_THRESHOLD,
    DRONE_CLASSES,
    ROWS_PER_ROW_GROUP,
    SELECTION_SEED,
    TILE_SHAPE,
)
from ..features import drone_classification_features
from .conditions import Condition, folder_of
from .drone_full import DroneFullIndex, index_drone_full
from .frame_links import frame_links
from .grid import Position, cell, cell_counts
from .reader import Archive
from .splits import authors_stratified_part

CAR, NO_CAR = range(len(DRONE_CLASSES))
CELL_PIXELS = TILE_SHAPE[0] * TILE_SHAPE[1]
# What the authors' code writes (their `data/drone/classification/`), compared when an archive holds it.
AUTHORS_FOLDER = "drone/classification"
AUTHORS_CSV = f"{AUTHORS_FOLDER}/dataset_tiles_{TILE_SHAPE[0]}_{SELECTION_SEED}_{CAR_THRESHOLD}.csv"
_AUTHORS_TILES = re.compile(
    re.escape(AUTHORS_FOLDER)
    + rf"/(images_tiles_{TILE_SHAPE[0]}/raw_scale\d{{3}}_thr_{re.escape(str(CAR_THRESHOLD))}"
    + rf"|masks_tiles_{TILE_SHAPE[0]}_thr_{re.escape(str(CAR_THRESHOLD))})/[^/]+\.(tif|png)"
)
SHOWN_DIFFERENCES = 10  # per compared file or folder


def choose_cells(fractions: Sequence[float]) -> list[tuple[int, int]]:
    """The authors' rule on one frame: (cell number, label) of the cells it keeps, in id order.

    `fractions` are the cells' car fractions in grid order (row by row). 0 -> no_car, above
    CAR_THRESHOLD -> car, anything between is dropped. With N car and M no-car cells: seed Python's
    `random` with SELECTION_SEED, shuffle the no-car list if N <= M (else the car list) and drop its
    first |N - M| cells. Kept cells stay in grid order, cars first.
    """
    cars = [number for number, fraction in enumerate(fractions) if fraction > CAR_THRESHOLD]
    empty = [number for number, fraction in enumerate(fractions) if fraction == 0]
    shuffled = list(empty if len(cars) <= len(empty) else cars)
    random.Random(SELECTION_SEED).shuffle(shuffled)
    dropped = set(shuffled[: abs(len(cars) - len(empty))])
    kept = [(number, CAR) for number in cars] + [(number, NO_CAR) for number in empty]
    return [(number, label) for number, label in kept if number not in dropped]


def is_authors_file(path: str) -> bool:
    """Whether `path` is a file the authors' code writes into `classification/` (compared, not converted)."""
    return path == AUTHORS_CSV or _AUTHORS_TILES.fullmatch(path) is not None


@dataclass(frozen=True)
class ChosenCell:
    image_id: str  # the authors' id `NN_IIIII`
    label: int  # CAR or NO_CAR
    frame: str  # file stem of the full frame
    frame_id: int  # NN: the frame's position in the sorted listing
    position: Position
    split: str  # the frame's split, as in `drone`
    authors_split: str  # `train` or `validation`: the authors' StratifiedShuffleSplit of the whole set
    mask: bytes  # 1-bit PNG of the cell of the frame's mask
    car_fraction: float


@dataclass
class AuthorsComparison:
    """The authors' own classification files in the archive, compared with the cells the rule picks."""

    compared: list[str] = field(default_factory=list)  # one line per file or folder compared
    differences: list[str] = field(default_factory=list)


@dataclass
class DroneClassificationIndex:
    """The chosen cells of an archive's full frames, and how to make their rows."""

    cells: dict[str, ChosenCell]  # in id order: the authors' CSV order
    frames: DroneFullIndex  # the frames the cells are cut from: their split, intensities and problems
    authors: AuthorsComparison
    shapes: dict[str, tuple[int, int]]  # frame stem -> shape at full intensity
    skipped: list[str] = field(default_factory=list)
    tables_per_shard: int | None = None  # shards are bounded by size only

    @property
    def features(self) -> datasets.Features:
        return drone_classification_features()

    @property
    def conditions(self) -> list[Condition]:
        return self.frames.conditions

    def chosen(self, split: str, condition: Condition) -> list[ChosenCell]:
        return [c for c in self.cells.values() if c.split == split and c.frame in condition.files]

    def num_rows(self, split: str) -> int:
        return sum(len(self.chosen(split, condition)) for condition in self.conditions)

    def tables(self, archive: Archive, split: str) -> Iterator[tuple[str, str, pa.Table]]:
        """(condition name, key, table of <= ROWS_PER_ROW_GROUP rows) in id order per condition; each
        frame is decoded once per condition, and one frame is held in memory at a time."""
        for condition in self.conditions:
            pending: list[tuple[ChosenCell, np.ndarray]] = []
            for stem, group in itertools.groupby(self.chosen(split, condition), key=lambda c: c.frame):
                mosaic = self.read_frame(archive, condition.files[stem], stem)
                pending += [(chosen, cell(mosaic, chosen.position).copy()) for chosen in group]
                del mosaic
                while len(pending) >= ROWS_PER_ROW_GROUP:
                    yield self._rows(condition, pending[:ROWS_PER_ROW_GROUP])
                    pending = pending[ROWS_PER_ROW_GROUP:]
            if pending:
                yield self._rows(condition, pending)

    def decode(self, archive: Archive, condition: Condition, image_id: str) -> None:
        """Decode one frame as `tables` does, raising what it would."""
        self.read_frame(archive, condition.files[image_id], image_id)

    def read_frame(self, archive: Archive, path: str, stem: str) -> np.ndarray:
        """The full frame `stem` from `path` (one of its intensities), checked against its shape."""
        where = archive.where(path)
        mosaic = images.decode_frame(archive.read_bytes(path), PurePosixPath(path).suffix, where)
        if mosaic.shape != self.shapes[stem]:
            raise ImageFormatError(f"{where}: frame is {mosaic.shape}, but {self.shapes[stem]} at full intensity")
        return mosaic

    def _rows(self, condition: Condition, rows: list[tuple[ChosenCell, np.ndarray]]) -> tuple[str, str, pa.Table]:
        cells = [chosen for chosen, _ in rows]
        mosaics = [mosaic for _, mosaic in rows]
        columns = {
            "image_id": [c.image_id for c in cells],
            "preview": arrow.image_column([images.raw_preview(mosaic) for mosaic in mosaics]),
            "label": [c.label for c in cells],
            "mask": arrow.image_column([c.mask for c in cells]),
            "car_fraction": [c.car_fraction for c in cells],
            "frame_id": [c.frame_id for c in cells],
            "frame": [c.frame for c in cells],
            "grid_row": [c.position[0] for c in cells],
            "grid_col": [c.position[1] for c in cells],
            "authors_split": [c.authors_split for c in cells],
            "intensity": [condition.intensity] * len(cells),
            "raw": arrow.array_column(mosaics, self.features["raw"]),
        }
        return condition.name, f"{condition.name}/{cells[0].image_id}", arrow.table(columns, self.features)


def index_drone_classification(archive: Archive, allow_missing: bool = False) -> DroneClassificationIndex:
    """Check the full frames and their masks (as `drone_full` does) and pick the cells by the authors' rule."""
    frames = index_drone_full(archive, allow_missing)
    links = frame_links(archive)
    picked = []  # (image_id, label, frame, position, mask of the cell)
    for stem in sorted(frames.frames, key=links.positions.__getitem__):
        number, path = links.positions[stem], frames.frames[stem].mask
        mask = archive.decode(path, images.decode_mask, links.shapes[stem])
        if mask is None:
            continue  # unreadable, reported by the archive
        counts = cell_counts(mask)
        for i, (cell_number, label) in enumerate(choose_cells((counts.ravel() / CELL_PIXELS).tolist())):
            position = divmod(cell_number, counts.shape[1])
            picked.append((f"{number:02d}_{i:05d}", label, stem, position, cell(mask, position)))
    validation = authors_stratified_part({p[0]: p[1] for p in picked}, "cells of the classification set")
    cells = {
        image_id: ChosenCell(
            image_id,
            label,
            stem,
            links.positions[stem],
            position,
            frames.frames[stem].split,
            "validation" if image_id in validation else "train",
            images.encode_mask(mask),
            float(np.float32(mask.mean())),
        )
        for image_id, label, stem, position, mask in picked
    }
    authors = compare_with_authors(archive, cells)
    return DroneClassificationIndex(cells, frames, authors, links.shapes, list(frames.skipped))


def _shown(ids: list[str]) -> str:
    return ", ".join(ids[:SHOWN_DIFFERENCES]) + (" ..." if len(ids) > SHOWN_DIFFERENCES else "")


def _compare_csv(archive: Archive, cells: dict[str, ChosenCell], result: AuthorsComparison) -> None:
    where = archive.where(AUTHORS_CSV)
    reader = csv.DictReader(io.StringIO(archive.read_bytes(AUTHORS_CSV).decode("utf-8", errors="replace")))
    if not {"file name", "label"} <= set(reader.fieldnames or ()):
        result.differences.append(f"{where}: no `file name` and `label` columns, as the authors' code writes")
        return
    listed, differing = set(), []
    for row in reader:
        image_id, label = row["file name"], row["label"]
        listed.add(image_id)
        ours = cells.get(image_id)
        if ours is None:
            differing.append(f"{where}:{reader.line_num}: tile {image_id} is not one the rule picks")
        elif label != str(ours.label):
            differing.append(
                f"{where}:{reader.line_num}: tile {image_id} has label {label}; the rule gives {ours.label} "
                f"({DRONE_CLASSES[ours.label]})"
            )
    if missing := sorted(cells.keys() - listed):
        differing.append(f"{where}: {len(missing)} tile(s) the rule picks are not listed: {_shown(missing)}")
    result.differences += differing[:SHOWN_DIFFERENCES]
    if len(differing) > SHOWN_DIFFERENCES:
        result.differences.append(f"{where}: {len(differing) - SHOWN_DIFFERENCES} more difference(s)")
    result.compared.append(f"{where}: {len(listed)} tiles listed, {len(differing)} difference(s) in ids and labels")


def compare_with_authors(archive: Archive, cells: dict[str, ChosenCell]) -> AuthorsComparison:
    """Compare the authors' CSV (ids and labels) and tile folders (ids) in the archive, if any, with `cells`."""
    result = AuthorsComparison()
    folders: dict[str, tuple[str, set[str]]] = {}  # folder -> (where it is, the tile ids in it)
    for path in archive.paths(AUTHORS_FOLDER):
        if path == AUTHORS_CSV:
            _compare_csv(archive, cells, result)
        elif is_authors_file(path):
            file = PurePosixPath(path)
            folders.setdefault(str(file.parent), (folder_of(archive, path), set()))[1].add(file.stem)
    for where, ids in (folders[folder] for folder in sorted(folders)):
        if extra := sorted(ids - cells.keys()):
            result.differences.append(f"{where}/: {len(extra)} tile(s) the rule does not pick: {_shown(extra)}")
        if missing := sorted(cells.keys() - ids):
            result.differences.append(f"{where}/: {len(missing)} tile(s) the rule picks are missing: {_shown(missing)}")
        result.compared.append(f"{where}/: {len(ids)} tiles, {len(ids & cells.keys())} of them picked by the rule")
    return result
