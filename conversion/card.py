"""The package's dataset card: YAML metadata (configs, dataset_info, license, tasks) and prose,
with every count taken from the converted data."""

from collections import Counter
from pathlib import Path

import datasets
import numpy as np
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCardData
from huggingface_hub.utils import HFValidationError, validate_repo_id

from conversion.configs import ConfigIndex
from conversion.constants import (
    AUTHORS_MIN_CLASS_SIZE,
    BAYER_PATTERN,
    CAMERA,
    CAR_THRESHOLD,
    CITATION,
    DEMOSAICING,
    DENOISING,
    DRONE_CLASSES,
    HOMEPAGE,
    INTENSITIES,
    LICENSE,
    MICROSCOPY_CLASSES,
    PROCESSED_VIEWS,
    SELECTION_SEED,
    SHARPENING,
    SPLITS,
    ZENODO_DOI,
)
from conversion.drone import DroneFullIndex, DroneIndex
from conversion.drone_classification import DroneClassificationIndex
from conversion.errors import Lens2LogitError
from conversion.figures import FIGURES
from conversion.microscopy import MicroscopyIndex

DEFAULT_HUB_ID = "lens2logit/lens2logit"
_RAW_TILE = f"{BAYER_PATTERN} Bayer mosaic exactly as in the TIFF (uint16 256x256); null on view rows"
_INTENSITY = "fraction of the full exposure (float64): " + ", ".join(f"{i:.2f}" for i in INTENSITIES)
_VIEW = "`raw`, or the processed view `<demosaicing>-<sharpening>-<denoising>`"
_RGB = "processed RGB view of the full-intensity capture, as stored; null on raw rows"
_PREVIEW = "small 8-bit JPEG quick-look (raw rows: demosaiced and stretched)"
COLUMNS = {  # in feature order
    "microscopy": {
        "image_id": "file stem in the archive, e.g. `Ma190c_lame1_zone1_composite_Mcropped_1`",
        "preview": _PREVIEW,
        "label": f"the authors' class id: codes of their allow-list with at least {AUTHORS_MIN_CLASS_SIZE} lines "
        f"in the label file, sorted (published: {', '.join(MICROSCOPY_CLASSES)}); -1 where they drop the code",
        "annotation": "the class code exactly as in the label file (nothing annotated is dropped)",
        "authors_excluded": "true for images the authors left out of training (kept here, flagged)",
        "slide, zone": "slide (`lameN`) and zone (`zoneN`) read from the name, for grouped splits",
        "view": _VIEW,
        "intensity": _INTENSITY,
        "raw": _RAW_TILE,
        "rgb": _RGB,
    },
    "drone": {
        "image_id": "tile name `NN_IIIII`: frame NN, kept tile IIIII",
        "preview": _PREVIEW,
        "mask": "car mask, 1-bit PNG: decodes to a bool array (source non-zero -> True)",
        "car_fraction": "share of car pixels in the mask",
        "frame_id": "`NN` of the tile's name: the number the archive gives its full frame",
        "frame": "file stem of the full frame the tile was cut from, found by content (the 256-grid cell it equals)",
        "authors_split": "`train` or `validation`: the authors' random tile split, to reproduce their numbers "
        "(tiles of one frame on both sides)",
        "view": _VIEW,
        "intensity": _INTENSITY,
        "raw": f"{BAYER_PATTERN} Bayer mosaic exactly as in the TIFF (uint16 256x256, 12-bit values "
        "left-justified: multiples of 16); null on view rows",
        "rgb": _RGB,
    },
    "drone_full": {
        "image_id": "file stem of the full frame in the archive",
        "preview": "8-bit JPEG quick-look (at most 512 pixels a side), demosaiced and stretched",
        "mask": "car mask of the frame, 1-bit PNG decoding to bool",
        "frame_id": "the `NN` of the frame's tiles",
        "intensity": _INTENSITY,
        "raw": f"{BAYER_PATTERN} Bayer mosaic as the bytes of a lossless 16-bit grayscale PNG: "
        "`np.asarray(PIL.Image.open(io.BytesIO(raw)))` gives the uint16 values exactly (`pixels` does it)",
    },
    "drone_classification": {
        "image_id": "the authors' id `NN_IIIII`: frame NN; IIIII numbers the kept car cells from 0, then the no-car "
        "cells",
        "preview": "small 8-bit JPEG quick-look, demosaiced and stretched",
        "label": "`car` (0) or `no_car` (1), the authors' class ids",
        "mask": "car mask of the cell, 1-bit PNG decoding to bool",
        "car_fraction": "share of car pixels in the mask: 0 for `no_car`, above 0.01 for `car`",
        "frame_id": "`NN`: the frame's 0-based position in the sorted listing of the full frames",
        "frame": "file stem of the full frame the cell is cut from",
        "grid_row, grid_col": "the cell's position in the frame's 256-pixel grid (row by row from the top left)",
        "authors_split": "`train` or `validation`: the authors' `StratifiedShuffleSplit(train_size=0.8, "
        "random_state=1)` over the set in id order, to reproduce their numbers (frames on both sides)",
        "intensity": _INTENSITY,
        "raw": f"{BAYER_PATTERN} Bayer mosaic, the cell of the full frame exactly (uint16 256x256, 12-bit values "
        "left-justified)",
    },
}


def check_hub_id(hub_id: str) -> str:
    """`hub_id` if it is a Hub repository id `ORG/NAME`; an error naming it otherwise."""
    try:
        validate_repo_id(hub_id)
    except HFValidationError as exc:
        raise Lens2LogitError(f"{hub_id!r} is not a Hub repository id ORG/NAME: {exc}") from None
    if hub_id.count("/") != 1:
        raise Lens2LogitError(f"{hub_id!r} is not a Hub repository id ORG/NAME: give the organisation or user too")
    return hub_id


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
        task_categories=["image-classification", "image-segmentation"],
        tags=["raw-images", "bayer", "microscopy", "drone", "dataset-drift", "image-processing"],
        size_categories=[_size_category(rows)],
        camera=CAMERA,
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


def _columns(name: str) -> str:
    return _table(["column", "meaning"], [[f"`{column}`", text] for column, text in COLUMNS[name].items()])


def _view_storage(view_dtype: str) -> str:
    return "8-bit PNG images" if view_dtype == "uint8" else "uint16 arrays 256x256x3"


def _microscopy_section(info: datasets.DatasetInfo, index: MicroscopyIndex) -> str:
    per_split = {split: Counter(index.images[i].annotation for i in index.image_ids(split)) for split in SPLITS}
    codes = sorted({image.annotation for image in index.images.values()}, key=lambda c: (index.label_id(c) < 0, c))
    labels = _table(
        ["annotation", "label", *SPLITS],
        [[code, index.label_id(code), *(per_split[s][code] for s in SPLITS)] for code in codes],
    )
    counts = _table(
        ["split", "images", "rows"],
        [[s, len(index.image_ids(s)), f"{info.splits[s].num_examples:,}"] for s in SPLITS],
    )
    return f"""## Config `microscopy` (default)

One row per image and condition: {len(INTENSITIES)} raw captures (`view == "raw"`, one per intensity)
and {len(PROCESSED_VIEWS)} processed views of the full-intensity capture (`intensity == 1.0`).
Processed views are stored as {_view_storage(index.view_dtype)}.

{counts}

{_columns("microscopy")}

### Splits
Exactly the authors' split: the images they keep (not `authors_excluded`), in label-file order,
split by `StratifiedShuffleSplit(n_splits=1, train_size=0.8, random_state=1)`; their 20 % part is
`test`. The images they exclude are all in `train`, flagged. All rows of one image are in the
same split.

{labels}
"""


def _frames(frames: list[int]) -> str:
    return ", ".join(map(str, frames))


def _spread(values: list[float]) -> str:
    return f"{min(values):.3f} / {np.mean(values):.3f} / {max(values):.3f}" if values else "-"


def _authors_split_counts(index: DroneIndex) -> str:
    counts = Counter(tile.authors_split for tile in index.tiles.values())
    return ", ".join(f"{counts[name]} {name}" for name in ("train", "validation"))


def _drone_section(info: datasets.DatasetInfo, index: DroneIndex) -> str:
    counts = _table(
        ["split", "frames", "tiles", "rows", "car fraction min / mean / max"],
        [
            [
                s,
                len(index.frames(s)),
                len(ids := index.image_ids(s)),
                f"{info.splits[s].num_examples:,}",
                _spread([index.tiles[i].car_fraction for i in ids]),
            ]
            for s in SPLITS
        ],
    )
    return f"""## Config `drone`

One row per 256x256 tile and condition, as for `microscopy`: {len(INTENSITIES)} raw captures and
{len(PROCESSED_VIEWS)} processed views (stored as {_view_storage(index.view_dtype)}). Every row carries the
tile's car mask.

{counts}

{_columns("drone")}

### Splits
By frame: all tiles of one full frame are on the same side, because tiles of one frame are
correlated (the authors' random tile split lets frames leak). Frames are put in a random order
(numpy `default_rng(1)`); the test split is the first frames of that order whose tiles come closest
to 20 % of all tiles. Test frames: {_frames(index.frames("test"))}.

Tiles are linked to their full frame by content: `frame` is the frame of which the tile is a
256-grid cell. In this archive, the `NN` of a tile's name (`frame_id`) is {index.numbering}.

The authors' own split is in `authors_split`: `np.random.seed(1)`, `np.random.permutation(n)` over
the n tiles in sorted id order, the first `int(0.8 * n)` in `train`, the rest in `validation`
({_authors_split_counts(index)}).
"""


def _drone_full_section(info: datasets.DatasetInfo, index: DroneFullIndex) -> str:
    counts = _table(
        ["split", "frames", "rows"],
        [
            [s, len({f.frame_id for f in index.frames.values() if f.split == s}), info.splits[s].num_examples]
            for s in SPLITS
        ],
    )
    intensities = ", ".join(f"{condition.intensity:.2f}" for condition in index.conditions)
    return f"""## Config `drone_full`

The full raw frames the tiles were cut from, one row per frame and intensity (intensities present:
{intensities}). Each row is a Parquet file of its own, so streaming one frame reads only that
frame. Same frame split as `drone`. `raw` holds each frame's lossless 16-bit PNG as bytes (the
dataset viewer shows `preview` and `mask` and cuts `raw` short; an `Image` column would make it
re-encode every 40 MB frame); `pixels` decodes it to the uint16 mosaic.

{counts}

{_columns("drone_full")}
"""


def _authors_files(index: DroneClassificationIndex) -> str:
    authors = index.authors
    if not authors.compared:
        return (
            "The archive holds none of the files the authors' code writes for this set (`classification/`), "
            "so there was nothing to compare it with."
        )
    lines = [f"- {line}" for line in authors.compared + authors.differences]
    return "Compared with the authors' own files in the archive:\n\n" + "\n".join(lines)


def _drone_classification_section(info: datasets.DatasetInfo, index: DroneClassificationIndex) -> str:
    def count(split: str, label: int) -> int:
        return sum(c.split == split and c.label == label for c in index.cells.values())

    counts = _table(
        ["split", "frames", *DRONE_CLASSES, "rows"],
        [
            [
                s,
                len({c.frame for c in index.cells.values() if c.split == s}),
                *(count(s, label) for label in range(len(DRONE_CLASSES))),
                f"{info.splits[s].num_examples:,}",
            ]
            for s in SPLITS
        ],
    )
    authors = Counter(c.authors_split for c in index.cells.values())
    intensities = ", ".join(f"{condition.intensity:.2f}" for condition in index.conditions)
    return f"""## Config `drone_classification`

The authors' car / no-car set, cut from the full frames exactly as their code does
(`DroneDatasetClassificationTiled`): one row per cell and intensity (intensities present:
{intensities}); the same cells at every intensity, since only the masks choose them.

{counts}

{_columns("drone_classification")}

### How the cells are chosen
Each full frame, in the sorted listing of the frames (position `NN`), is cut on the 256-pixel grid
row by row, the remainder dropped. A cell whose mask is empty is `no_car`; one whose mask is more
than {CAR_THRESHOLD:.0%} car (mean above {CAR_THRESHOLD}) is `car`; cells in between are dropped. With N car and M
no-car cells in a frame, Python's `random.seed({SELECTION_SEED})`, then `random.shuffle` of the no-car list
if N <= M (else of the car list), and its first |N - M| cells are dropped: each frame keeps
min(N, M) cells of each class, in grid order. Ids number the kept car cells from `NN_00000`, then
the no-car cells after them.

### Splits
By frame, as `drone`: test frames {", ".join(sorted({c.frame for c in index.cells.values() if c.split == "test"}))}.
The authors' own split of the set is in `authors_split` ({authors["train"]} train, {authors["validation"]} validation).

{_authors_files(index)}
"""


_SECTIONS = {
    "microscopy": _microscopy_section,
    "drone": _drone_section,
    "drone_full": _drone_full_section,
    "drone_classification": _drone_classification_section,
}


def _camera_section() -> str:
    rows = [
        [name, f"`{', '.join(map(str, values))}`"]
        for name, values in (
            *((f"{dataset} black level (RGGB)", CAMERA[dataset]["black_level"]) for dataset in CAMERA),
            *((f"{dataset} white balance (RGB)", CAMERA[dataset]["white_balance"]) for dataset in CAMERA),
            *((f"{dataset} colour matrix (3x3, row-major)", CAMERA[dataset]["colour_matrix"]) for dataset in CAMERA),
        )
    ]
    sensors = "\n".join(f"- **{dataset}**: {camera['sensor']}." for dataset, camera in CAMERA.items())
    return f"""## Acquisition and camera parameters

{sensors}

The parameters the authors' processing pipelines use (black level in normalised units); the same
values are in this card's YAML metadata under `camera`:

{_table(["parameter", "value"], rows)}
"""


def _processing_section() -> str:
    return """## Processing raw data at any intensity

The archive stores the processed views of the full-intensity captures only. `lens2logit.process` (in
`lens2logit.py` of the lens2logit project, like `pixels`) runs the authors' recipe on any raw mosaic,
at any intensity, with the camera parameters above: black level per Bayer site, demosaicing with
colour-demosaicing, white balance, colour matrix, sharpening and denoising of Y (scikit-image's YUV),
clip, gamma 1/2.2. A numpy mosaic gives (H, W, 3) float64 computed with the libraries the authors
used; a torch batch (B, H, W) gives (B, 3, H, W) float32 from a batched port, on the CPU or a GPU,
differentiable with respect to the mosaics and the camera parameters:
`process(mosaic, "menon2007-unsharp_masking-median_denoising", camera="microscopy")` for one image,
`pixels(dataset, "torch", pipeline="bilinear-sharpening_filter-gaussian_denoising")` for raw rows
processed batch by batch, map-style or streamed.

Unsharp masking comes in two variants. The default, `unsharp="columns"`, is what the authors' call
`unsharp_mask(Y, radius=1, amount=1, multichannel=True)` computed under their scikit-image 0.18.1:
the columns of the Y plane taken as channels, each blurred alone by a 1-D Gaussian down the rows.
`unsharp="2d"` is the recipe as written, a 2-D Gaussian; the two differ by up to about 0.5 of full
scale. `lens2logit check ARCHIVE` compares every stored view with the pipelines run on its raw
capture and reports the largest difference per pipeline, and which variant the views follow.
"""


def _usage_section(hub_id: str, configs: list[str]) -> str:
    """Usage snippets for the configs present (`drone_full` never comes without `drone`, which gives its split)."""
    main = "microscopy" if "microscopy" in configs else "drone"
    stream = "drone" if "drone" in configs else main  # tiles stream faster than microscopy's views
    names = ", ".join(f"`{name}`" for name in configs)
    install = """Loading needs only `pip install datasets` (version 4 or later). The `pixels` helper below
is in `lens2logit.py` of the lens2logit project, which is not on PyPI: install the project from a
clone of its repository with `pip install .`."""
    return f"""## Usage

{install}

Load a config ({names}); raw rows have `view == 0`:

```python
import numpy as np
from datasets import load_dataset

dataset = load_dataset("{hub_id}", "{main}", split="train")
raw = dataset.filter(lambda views: [v == 0 for v in views], input_columns="view", batched=True)
# uint16 kept for `raw` (plain "numpy" widens to int64); other columns stay python objects
mosaics = raw.with_format("numpy", columns=["raw"], dtype=np.uint16, output_all_columns=True)
print(mosaics[0]["raw"].dtype, mosaics[0]["raw"].shape, mosaics[0]["intensity"])
```

`pixels` does this batch by batch from Arrow, for map-style and streamed datasets alike, for numpy
(uint16) or torch (int32, which holds every uint16 value); streamed, it drops the view rows in
Arrow without decoding them:

```python
from datasets import load_dataset
from lens2logit import pixels

stream = load_dataset("{hub_id}", "{stream}", split="train", streaming=True)
for batch in pixels(stream, "torch", columns=["image_id", "intensity"]).iter(batch_size=32):
    print(batch["image_id"][:3], batch["raw"].dtype, tuple(batch["raw"].shape), batch["intensity"][:3])
    break
```

All conditions of one image, side by side (each is a row):

```python
import numpy as np
from datasets import load_dataset

dataset = load_dataset("{hub_id}", "{main}", split="test")
first = dataset[0]["image_id"]
rows = dataset.filter(lambda ids: [i == first for i in ids], input_columns="image_id", batched=True)
names = rows.features["view"].names
for row in rows:  # the 7 raw captures and the 12 processed views of one image
    image = np.asarray(row["raw"], dtype=np.uint16) if row["view"] == 0 else np.asarray(row["rgb"])
    print(names[row["view"]], row["intensity"], image.dtype, image.shape)
```

Each condition (intensity or view) is a shard of its own, so one condition can be read alone, by
file or by filter. Filtering changes the row counts the card records, hence
`verification_mode="no_checks"` (huggingface/datasets#7867):

```python
from datasets import load_dataset

low_light = load_dataset(
    "{hub_id}", "{main}", split="train", filters=[("intensity", "==", 0.1)], verification_mode="no_checks"
)
print(low_light.num_rows, set(low_light["intensity"]))
```

Rows come in the order of the shard files: the raw captures from full intensity down (file names
`00-raw_scale100-...` to `06-raw_scale001-...`), then the twelve views (`07-...` to `18-...`); the
split is the folder the shard is in. The shards are plain Parquet: DuckDB, Polars, Spark, Dask
or Ray read them directly, e.g. `SELECT intensity, count(*) FROM '{main}/train/*.parquet' GROUP BY
intensity` in DuckDB.
Raw arrays are stored DELTA_BINARY_PACKED (zstd), which every Parquet reader reads, DuckDB 1.5
(the Hub viewer's) included.
"""


def _limitations_section(indexes: dict[str, ConfigIndex], unread: list[str]) -> str:
    lines = [
        "- The six lower intensities were generated from the full-intensity capture with JetRaw Data "
        "Suite (the authors' description), not captured again.",
        "- The microscopy mosaics were made from three filtered captures (450/525/620 nm), rescaled per "
        "channel and sub-sampled into an RGGB pattern, not read off a colour-filter sensor.",
        "- Raw values are as recorded: no black level subtracted, no white balance applied.",
    ]
    if "microscopy" in indexes:
        excluded = sorted(i for i, image in indexes["microscopy"].images.items() if image.authors_excluded)
        lines.append(
            f"- The authors left {len(excluded)} image(s) out of training ({', '.join(excluded) or 'none'}): "
            f"one they judged invalid, and any whose code is not one of their classes (`label == -1`). "
            "They are kept here and flagged in `authors_excluded`; filter them out to reproduce the paper."
        )
    if "drone" in indexes:
        lines.append(
            "- The drone split is by frame, unlike the authors' random split of tiles (seed 1), which puts "
            "tiles of the same frame on both sides; results are not directly comparable. Their split is in "
            "`authors_split`."
        )
    if unread:
        shown = ", ".join(f"`{part}`" for part in unread)
        lines.append(f"- Not converted: {shown} (in the archive, but read by no config).")
    return "## Known limitations\n\n" + "\n".join(lines) + "\n"


def _figures_section(figures: list[str]) -> str:
    shown = [f"![{FIGURES[name]}](assets/{name})\n\n*{FIGURES[name]}*\n" for name in figures]
    return "## Figures\n\n" + "\n".join(shown) if shown else ""


def card_text(
    infos: dict[str, datasets.DatasetInfo],
    indexes: dict[str, ConfigIndex],
    hub_id: str = DEFAULT_HUB_ID,
    figures: list[str] = (),
    unread: list[str] = (),
) -> str:
    sections = "\n".join(_SECTIONS[name](infos[name], index) for name, index in indexes.items())
    return f"""---
{card_data(infos).to_yaml()}
---

# Lens2Logit

Raw 16-bit Bayer sensor data at seven intensity levels, plus twelve processed RGB views of the same
images, for studying dataset drift caused by camera hardware and image processing: Raw-Microscopy
(blood smear leukocytes, 9 classes) and Raw-Drone (aerial images with car masks).
Source: Zenodo, DOI [{ZENODO_DOI}](https://doi.org/{ZENODO_DOI}); homepage {HOMEPAGE}.

## Raw data, intensities and views

A raw image is the sensor's {BAYER_PATTERN} Bayer mosaic: one value per pixel, behind a red, green or
blue filter, before any processing. Each image is recorded at {len(INTENSITIES)} intensities (fractions
of the full exposure: {", ".join(f"{i:.2f}" for i in INTENSITIES)}) and, from the full-intensity
mosaic, through {len(PROCESSED_VIEWS)} processing pipelines: demosaicing {" / ".join(DEMOSAICING)},
sharpening {" / ".join(SHARPENING)}, denoising {" / ".join(DENOISING)} (after black-level removal,
white balance and colour correction; clipped and gamma 2.2). A row is one image under one such
condition; `view` says which.

{_figures_section(figures)}
{sections}
{_camera_section()}
{_processing_section()}
{_usage_section(hub_id, list(indexes))}
{_limitations_section(indexes, unread)}
## License

[CC BY 4.0](https://creativecommons.org/licenses/by/4.0/): copy, redistribute, remix and
transform, with attribution.

## Citation

```bibtex
{CITATION}```
"""


def write_card(
    out: Path,
    infos: dict[str, datasets.DatasetInfo],
    indexes: dict[str, ConfigIndex],
    hub_id: str = DEFAULT_HUB_ID,
    figures: list[str] = (),
    unread: list[str] = (),
) -> None:
    (out / "README.md").write_text(card_text(infos, indexes, hub_id, figures, unread), encoding="utf-8")
