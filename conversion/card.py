"""The package's dataset card: YAML metadata (configs, dataset_info, license, tasks) and prose,
with every count taken from the converted data."""

from collections import Counter
from pathlib import Path

import datasets
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCardData

from conversion.constants import (
    BAYER_PATTERN,
    CITATION,
    INTENSITIES,
    LICENSE,
    MICROSCOPY_CLASSES,
    PROCESSED_VIEWS,
    SPLITS,
    ZENODO_DOI,
)
from conversion.microscopy import MicroscopyIndex

COLUMNS = {
    "image_id": "file stem in the archive, e.g. `Ma190c_lame1_zone1_composite_Mcropped_1`",
    "slide, zone": "slide (`lameN`) and zone (`zoneN`) read from the name, for grouped splits",
    "split": "`train` or `test`, the split the row is in",
    "intensity": "fraction of the full exposure: " + ", ".join(f"{i:.2f}" for i in INTENSITIES),
    "view": "`raw`, or the processed view `<demosaicing>-<sharpening>-<denoising>`",
    "raw": f"{BAYER_PATTERN} Bayer mosaic exactly as in the TIFF (uint16 256x256); null on view rows",
    "rgb": "processed RGB view of the full-intensity capture, as stored; null on raw rows",
    "label": "leukocyte class: " + ", ".join(MICROSCOPY_CLASSES),
    "authors_excluded": "true for images the authors left out of training (kept here, flagged)",
    "preview": "small 8-bit JPEG quick-look (raw rows: demosaiced and stretched)",
}


def _size_category(rows: int) -> str:
    for limit, name in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
    ):
        if rows < limit:
            return name
    return "1M<n<10M"


def card_data(infos: dict[str, datasets.DatasetInfo]) -> DatasetCardData:
    rows = sum(split.num_examples for info in infos.values() for split in info.splits.values())
    data = DatasetCardData(
        license=LICENSE,
        pretty_name="Lens2Logit",
        task_categories=["image-classification"],
        tags=["raw-images", "bayer", "microscopy", "dataset-drift", "image-processing"],
        size_categories=[_size_category(rows)],
    )
    configs = {
        name: {
            "data_files": [{"split": split, "path": f"{name}/{split}/*.parquet"} for split in SPLITS],
            **({"default": True} if name == "microscopy" else {}),
        }
        for name in infos
    }
    MetadataConfigs(configs).to_dataset_card_data(data)
    DatasetInfosDict(infos).to_dataset_card_data(data)
    return data


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _microscopy_section(info: datasets.DatasetInfo, index: MicroscopyIndex) -> str:
    per_split = {split: Counter(index.images[i].label for i in index.image_ids(split)) for split in SPLITS}
    labels = _table(
        ["label", *SPLITS],
        [[code, *(per_split[s][code] for s in SPLITS)] for code in MICROSCOPY_CLASSES],
    )
    counts = _table(
        ["split", "images", "rows"],
        [[s, len(index.image_ids(s)), f"{info.splits[s].num_examples:,}"] for s in SPLITS],
    )
    rgb = "PNG image (uint8)" if index.view_dtype == "uint8" else "uint16 array 256x256x3"
    columns = _table(["column", "meaning"], [[f"`{name}`", text] for name, text in COLUMNS.items()])
    return f"""## Config `microscopy` (default)

One row per image and condition: {len(INTENSITIES)} raw captures (`view == "raw"`, one per intensity)
and {len(PROCESSED_VIEWS)} processed views of the full-intensity capture (`intensity == 1.0`).
Processed views are stored as {rgb}.

{counts}

{columns}

### Splits
Stratified by label, 80 % train / 20 % test, over images sorted by `image_id`
(`StratifiedShuffleSplit(train_size=0.8, random_state=1)`, the authors' protocol).
All rows of one image are in the same split.

{labels}
"""


def card_text(infos: dict[str, datasets.DatasetInfo], indexes: dict[str, MicroscopyIndex]) -> str:
    sections = _microscopy_section(infos["microscopy"], indexes["microscopy"])
    return f"""---
{card_data(infos).to_yaml()}
---

# Lens2Logit

Raw 16-bit Bayer sensor data at seven intensity levels, plus twelve processed RGB views of the same
images, for studying dataset drift caused by camera hardware and image processing.
Source: Zenodo, DOI [{ZENODO_DOI}](https://doi.org/{ZENODO_DOI}).

{sections}
## Usage

```python
import numpy as np
from datasets import load_dataset

dataset = load_dataset("lens2logit", "microscopy", split="train")
raw = dataset.filter(lambda view: view == 0, input_columns="view")  # view 0 is "raw"
mosaics = raw.with_format("numpy", dtype=np.uint16)  # keeps uint16 (plain "numpy" widens to int64)
```

Raw arrays are stored with Parquet's BYTE_STREAM_SPLIT encoding: read them with pyarrow >= 16.

## License

CC BY 4.0.

## Citation

```bibtex
{CITATION}```
"""


def write_card(out: Path, infos: dict[str, datasets.DatasetInfo], indexes: dict[str, MicroscopyIndex]) -> None:
    (out / "README.md").write_text(card_text(infos, indexes), encoding="utf-8")
