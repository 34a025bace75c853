"""Convert the archive into the Hub package: Parquet shards, dataset card and dataset_infos.json."""

import itertools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from ..archive.drone_classification import AuthorsComparison, DroneClassificationIndex
from ..archive.reader import Archive, as_sources
from ..errors import Lens2LogitError
from ..facts import CITATION, HOMEPAGE, LICENSE, SPLITS
from ..output import staged_output
from .archive_check import require_configs
from .card import write_card
from .configs import CONFIGS, ConfigIndex, index_config, unread
from .croissant import write_croissant
from .files import ASSETS, INFOS_FILE, foreign_files, write_infos
from .hub_id import DEFAULT_HUB_ID, check_hub_id
from .parquet import write_shards

logger = logging.getLogger(__name__)

DATASET_NAME = "lens2logit"
T = TypeVar("T")


@dataclass
class ConversionReport:
    infos: dict[str, datasets.DatasetInfo]
    skipped: list[str] = field(default_factory=list)  # problems let through by allow_missing
    absent: list[str] = field(default_factory=list)  # configs whose folder is not in the archive
    unread: list[str] = field(default_factory=list)  # folders and files of the archive no config reads
    authors: AuthorsComparison | None = None  # the authors' classification files, when converted
    seconds: dict[str, float] = field(default_factory=dict)  # per config: indexing and writing


def _timed(seconds: dict[str, float], name: str, work: Callable[[], T]) -> T:
    """`work()`, its wall time added to `seconds[name]`."""
    start = time.perf_counter()
    try:
        return work()
    finally:
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start


def _counted(tables: Iterator[pa.Table], totals: dict[str, int], bar: tqdm) -> Iterator[pa.Table]:
    for table in tables:
        totals["rows"] += len(table)
        totals["bytes"] += table.nbytes
        bar.update(len(table))
        yield table


def _write_config(archive: Archive, name: str, index: ConfigIndex, out: Path, progress: bool) -> datasets.DatasetInfo:
    """Write one config's shards under `out/<config>/<split>/`; rows are counted three ways and must agree."""
    features = index.features
    splits = datasets.SplitDict(dataset_name=DATASET_NAME)
    download_size = 0
    for split in SPLITS:
        expected = index.num_rows(split)
        totals = {"rows": 0, "bytes": 0}
        with tqdm(
            total=expected,
            desc=f"{name}/{split}",
            unit=" rows",
            disable=None if progress else True,
        ) as bar:
            folder = out / name / split
            for condition, group in itertools.groupby(index.tables(archive, split), key=lambda item: item[0]):
                counted = _counted((table for _, _, table in group), totals, bar)
                for shard in write_shards(counted, folder, condition, features, index.tables_per_shard):
                    download_size += shard.stat().st_size
        written = sum(pq.ParquetFile(path).metadata.num_rows for path in folder.glob("*.parquet"))
        if not expected == totals["rows"] == written:
            raise Lens2LogitError(
                f"{name}/{split}: {expected} rows expected, {totals['rows']} generated, {written} written"
            )
        splits.add(
            datasets.SplitInfo(
                name=split,
                num_bytes=totals["bytes"],
                num_examples=expected,
                dataset_name=DATASET_NAME,
            )
        )
    return datasets.DatasetInfo(
        description="",
        citation=CITATION,
        homepage=HOMEPAGE,
        license=LICENSE,
        features=features,
        splits=splits,
        download_size=download_size,
        dataset_size=sum(s.num_bytes for s in splits.values()),
        config_name=name,
        dataset_name=DATASET_NAME,
    )


def write_figures(archive: Archive, indexes: dict[str, ConfigIndex], folder: Path) -> list[str]:
    """Render the figures of the configs present into `folder`; returns their file names."""
    figures = {}
    for name, index in indexes.items():
        figures.update(CONFIGS[name].figures(archive, index))
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in figures.items():
        (folder / name).write_bytes(data)
    return sorted(figures)


def convert(
    archive_source: Path | list[Path],
    out: Path,
    overwrite: bool = False,
    allow_missing: bool = False,
    progress: bool = True,
    hub_id: str = DEFAULT_HUB_ID,
) -> ConversionReport:
    """Write the Hub package for the archive at `archive_source` into the folder `out`, atomically.

    `out` must lie apart from the archive; `overwrite` replaces only a lens2logit package. `hub_id`
    (`ORG/NAME`) is the repository the card's usage snippets load from.
    """
    check_hub_id(hub_id)
    sources = as_sources(archive_source)
    with (
        staged_output(out, overwrite, foreign_files, "a lens2logit package", inputs=sources) as staging,
        Archive(sources) as archive,
    ):
        names = require_configs(archive, sources)
        seconds: dict[str, float] = {}  # the drone configs share the linking of tiles to frames: the first pays
        indexes = {name: _timed(seconds, name, partial(index_config, archive, name, allow_missing)) for name in names}
        not_read = unread(archive)
        infos = {
            name: _timed(seconds, name, partial(_write_config, archive, name, index, staging, progress))
            for name, index in indexes.items()
        }
        figures = write_figures(archive, indexes, staging / ASSETS)
        write_infos(staging / INFOS_FILE, infos)
        write_croissant(staging, infos, hub_id)
        write_card(staging, infos, indexes, hub_id, figures, not_read)
    skipped = [f"{name}: {problem}" for name, index in indexes.items() for problem in index.skipped]
    absent = [name for name in CONFIGS if name not in indexes]
    authors = next((index.authors for index in indexes.values() if isinstance(index, DroneClassificationIndex)), None)
    return ConversionReport(infos, skipped, absent, not_read, authors, seconds)
