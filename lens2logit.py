"""Lens2Logit raw-sensor datasets (Raw-Microscopy, Raw-Drone) as a Hugging Face `datasets` builder.

Used by import (datasets >= 4 runs no loading scripts):

    from lens2logit import Lens2Logit
    builder = Lens2Logit(config_name="microscopy", data_dir="path/to/archive")
    builder.download_and_prepare()
    dataset = builder.as_dataset()

`data_dir` is the Zenodo archive: the extracted folder, a .zip, or a folder of zips. Without it,
the files of the config's dataset are downloaded from Zenodo record 5235536 into the `datasets`
download cache (resumed, size and md5 verified; $LENS2LOGIT_ZENODO_URL points to a mirror).

For training, `pixels` gives the raw (or processed-view) rows of a loaded dataset with exact numpy or
torch pixels, batch by batch from Arrow, map-style or streamed; `loader` is a torch DataLoader over
them that reads whole batches and, with `num_workers`, hands them over in shared buffers. `stream(path,
config, split)` streams a split of a package from only the shards and column chunks it reads.

`process(raw, pipeline, camera)` runs the authors' twelve processing pipelines (`PIPELINES`, camera
parameters in `CAMERAS`) on raw mosaics of any intensity: numpy for one mosaic, torch for batches on
the CPU or a GPU, differentiable.

`drift.evaluate(model, split)` measures any model over every intensity and pipeline of a split, with
bootstrap intervals, a table and a heatmap; `drift.cross_matrix` runs the authors' 12 x 12 study
(`drift` is imported on first use: it needs torch). `ProcessingModule` is a pipeline as a torch module whose
camera numbers, gamma, sharpening and denoising can be learned, and `drift.search` finds the ones that break
a model most near the default processing.
"""

from dataclasses import dataclass
from pathlib import Path

import datasets

from _lens2logit.archive.reader import Archive, fingerprint
from _lens2logit.errors import ImageFormatError, import_optional
from _lens2logit.facts import CITATION, HOMEPAGE, LICENSE, SPLITS, ZENODO_RECORD_ID
from _lens2logit.package.configs import CONFIGS, ConfigIndex, config, default_config, detect_view_dtype, index_config
from _lens2logit.processing.dispatch import process
from _lens2logit.processing.recipe import CAMERAS, PIPELINES, Camera
from _lens2logit.reading.loader import loader
from _lens2logit.reading.pixels import pixels
from _lens2logit.reading.streaming import stream
from _lens2logit.remote import zenodo

__all__ = [
    "CAMERAS",
    "PIPELINES",
    "Camera",
    "Lens2Logit",
    "Lens2LogitConfig",
    "ProcessingModule",  # noqa: F822 (imported on first use by `__getattr__`: it needs torch)
    "loader",
    "pixels",
    "process",
    "stream",
]

logger = datasets.logging.get_logger(__name__)

VERSION = datasets.Version("1.0.0")


@dataclass
class Lens2LogitConfig(datasets.BuilderConfig):
    """BuilderConfig for Lens2Logit.

    Args:
        view_dtype: dtype of the processed RGB views, `"uint8"` (stored as PNG images) or `"uint16"`
            (stored as uint16 arrays). None reads it from the archive in `data_dir`.
        allow_missing: let an incomplete archive through (images without labels or masks, folders
            with fewer images than `raw_scale100`, ...); each problem is logged as a warning.
    """

    view_dtype: str | None = None
    allow_missing: bool = False

    def create_config_id(self, config_kwargs: dict, custom_features: datasets.Features | None = None) -> str:
        """The cache key: keyed on the archive's absolute path and content (not the `data_dir` string),
        so a replaced archive, or the same relative path from another folder, is built anew."""
        if config_kwargs.get("data_dir") is not None:
            config_kwargs = {**config_kwargs, "data_dir": fingerprint(config_kwargs["data_dir"])}
        return super().create_config_id(config_kwargs, custom_features)


class Lens2Logit(datasets.ArrowBasedBuilder):
    """Lens2Logit: raw sensor data and processed views of the same images, for dataset drift studies.

    Builds a config straight from the Zenodo archive, with the same rows, order and features as the Hub
    package: `microscopy` (the default), `drone`, `drone_full` and `drone_classification`.

    Args:
        config_name: the config to build.
        data_dir: the archive: its extracted folder, a .zip, or a folder of zips. Without it, the files of the
            config's dataset are downloaded from Zenodo record 5235536 into the `datasets` download cache
            (resumed, size and md5 verified; $LENS2LOGIT_ZENODO_URL points to a mirror).
        view_dtype, allow_missing: see `Lens2LogitConfig`.
        **kwargs: passed to `datasets.ArrowBasedBuilder` (e.g. `cache_dir`).

    Raises:
        ArchiveNotFoundError: `data_dir` holds no part of the archive that the config reads (a FileNotFoundError).
        ArchiveLayoutError, LabelFileError, ImageFormatError: a file of the archive is misplaced, mislabelled or
            undecodable; the message names it (ValueErrors).

    Examples:
        >>> from lens2logit import Lens2Logit
        >>> sorted(Lens2Logit.builder_configs)
        ['drone', 'drone_classification', 'drone_full', 'microscopy']
        >>> builder = Lens2Logit(config_name="drone_full")
        >>> list(builder.info.features)
        ['image_id', 'preview', 'mask', 'frame_id', 'intensity', 'raw']

        With the archive at hand (`lens2logit sample ARCHIVE` writes a synthetic one)::

            builder = Lens2Logit(config_name="microscopy", data_dir="path/to/archive")
            builder.download_and_prepare()
            dataset = builder.as_dataset()
    """

    BUILDER_CONFIG_CLASS = Lens2LogitConfig
    BUILDER_CONFIGS = [
        Lens2LogitConfig(name=name, version=VERSION, description=spec.description) for name, spec in CONFIGS.items()
    ]
    DEFAULT_CONFIG_NAME = default_config()

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description=self.config.description,
            features=config(self.config.name).features(self._view_dtype()),
            homepage=HOMEPAGE,
            license=LICENSE,
            citation=CITATION,
        )

    def _view_dtype(self) -> str:
        if self.config.view_dtype is not None:
            return self.config.view_dtype
        if self.config.data_dir is None:
            return "uint8"
        with Archive(self.config.data_dir) as archive:
            return detect_view_dtype(archive, self.config.name)

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        source = self.config.data_dir or self._download(dl_manager)
        with Archive(source) as archive:
            index = index_config(archive, self.config.name, self.config.allow_missing)
        for problem in index.skipped:
            logger.warning("allowed by allow_missing: %s", problem)
        if self.config.view_dtype is not None and index.features.get("rgb") != self.info.features.get("rgb"):
            raise ImageFormatError(
                f"view_dtype={self.config.view_dtype!r}, but the processed views of {source} are not; "
                "leave view_dtype unset to read it from the archive"
            )
        self.info.features = index.features  # the view dtype of a downloaded archive is known only now
        return [
            datasets.SplitGenerator(name=split, gen_kwargs={"source": source, "index": index, "split": split})
            for split in SPLITS
        ]

    def _download(self, dl_manager: datasets.DownloadManager) -> str:
        """Fetch the files of this config's dataset from Zenodo into the datasets download cache."""
        cache = dl_manager.download_config.cache_dir or datasets.config.DOWNLOADED_DATASETS_PATH
        dest = Path(cache) / f"lens2logit-zenodo-{ZENODO_RECORD_ID}"
        logger.info("no data_dir given: fetching Zenodo record %s into %s", ZENODO_RECORD_ID, dest)
        zenodo.download(dest, only=config(self.config.name).dataset)
        return str(dest)

    def _generate_tables(self, source: str, index: ConfigIndex, split: str):
        with Archive(source) as archive:
            for _, key, table in index.tables(archive, split):
                yield key, table


def __getattr__(name: str):
    """`drift` and `ProcessingModule`, imported on first use (they import torch)."""
    if name in ("drift", "ProcessingModule"):
        import_optional("torch", "torch", f"lens2logit.{name}")
    if name == "drift":
        import _lens2logit.drift

        return _lens2logit.drift
    if name == "ProcessingModule":
        from _lens2logit.processing.torch_module import ProcessingModule

        return ProcessingModule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
