"""Lens2Logit raw-sensor datasets (Raw-Microscopy, Raw-Drone) as a Hugging Face `datasets` builder.

Used by import (datasets >= 4 runs no loading scripts):

    from lens2logit import Lens2Logit
    builder = Lens2Logit(config_name="microscopy", data_dir="path/to/archive")
    builder.download_and_prepare()
    dataset = builder.as_dataset()

`data_dir` is the Zenodo archive: the extracted folder, a .zip, or a folder of zips.
"""

from dataclasses import dataclass

import datasets

from conversion.archive import Archive
from conversion.configs import DESCRIPTIONS, ConfigIndex, config, detect_view_dtype, index_config
from conversion.constants import CITATION, HOMEPAGE, LICENSE, SPLITS, ZENODO_RECORD_ID
from conversion.errors import ArchiveNotFoundError

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


class Lens2Logit(datasets.ArrowBasedBuilder):
    """Lens2Logit: raw sensor data and processed views of the same images, for dataset drift studies."""

    BUILDER_CONFIG_CLASS = Lens2LogitConfig
    BUILDER_CONFIGS = [
        Lens2LogitConfig(name=name, version=VERSION, description=text) for name, text in DESCRIPTIONS.items()
    ]
    DEFAULT_CONFIG_NAME = "microscopy"

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
        if self.config.data_dir is None:
            raise ArchiveNotFoundError(
                f"no archive given: pass data_dir= the Lens2Logit archive from Zenodo record {ZENODO_RECORD_ID} "
                "(extracted folder, .zip, or folder of zips)"
            )
        with Archive(self.config.data_dir) as archive:
            index = index_config(archive, self.config.name, self.config.allow_missing)
        for problem in index.skipped:
            logger.warning("allowed by allow_missing: %s", problem)
        return [datasets.SplitGenerator(name=split, gen_kwargs={"index": index, "split": split}) for split in SPLITS]

    def _generate_tables(self, index: ConfigIndex, split: str):
        with Archive(self.config.data_dir) as archive:
            for _, key, table in index.tables(archive, split):
                yield key, table
