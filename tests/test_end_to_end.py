"""Archive -> builder -> Parquet package -> load_dataset: same values, counts, splits and bytes."""

import shutil
from collections import Counter
from pathlib import Path

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import decode_png, read_labels, source_raw, source_view, tree
from sklearn.model_selection import StratifiedShuffleSplit

from _lens2logit.archive.splits import stratified_split
from _lens2logit.facts import (
    AUTHORS_EXCLUDED_IMAGES,
    INTENSITIES,
    MICROSCOPY_CLASS_COUNTS,
    MICROSCOPY_LABEL_FILE,
    PROCESSED_VIEWS,
    ROWS_PER_ROW_GROUP,
    VIEW_NAMES,
)
from _lens2logit.package.convert import convert
from _lens2logit.package.files import write_infos
from _lens2logit.package.published import published_infos
from _lens2logit.sample.writer import DEFAULT_FRAMES
from lens2logit import Lens2Logit

REPO = Path(__file__).resolve().parent.parent
CONDITIONS = len(INTENSITIES) + len(PROCESSED_VIEWS)


def build(archive: Path, cache_dir: str, **config) -> datasets.DatasetDict:
    builder = Lens2Logit(config_name="microscopy", data_dir=str(archive), cache_dir=cache_dir, **config)
    builder.download_and_prepare()
    return builder.as_dataset()


@pytest.fixture(scope="module")
def built(archive_dir, tmp_path_factory):
    return build(archive_dir, str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="module")
def loaded(package, tmp_path_factory):
    return datasets.load_dataset(str(package), "microscopy", cache_dir=str(tmp_path_factory.mktemp("cache")))


def columns(dataset: datasets.Dataset) -> dict[str, list]:
    return dataset.select_columns(
        ["image_id", "intensity", "view", "label", "annotation", "slide", "zone", "authors_excluded"]
    ).to_dict()


def assert_pixels_match_archive(dataset: datasets.Dataset, archive: Path) -> None:
    """Every raw mosaic and every processed view equals its source file, bit for bit."""
    rows = columns(dataset)
    raw_rows = [i for i, view in enumerate(rows["view"]) if view == 0]
    view_rows = [i for i, view in enumerate(rows["view"]) if view != 0]
    mosaics = dataset.select(raw_rows).with_format("numpy", columns=["raw"], dtype=np.uint16)[:]["raw"]
    assert mosaics.dtype == np.uint16
    assert mosaics.shape == (len(raw_rows), 256, 256)
    for mosaic, i in zip(mosaics, raw_rows, strict=True):
        np.testing.assert_array_equal(mosaic, source_raw(archive, rows["image_id"][i], rows["intensity"][i]))
    encoded = dataset.select(view_rows).cast_column("rgb", datasets.Image(decode=False))[:]["rgb"]
    for image, i in zip(encoded, view_rows, strict=True):
        view = VIEW_NAMES[rows["view"][i]]
        np.testing.assert_array_equal(decode_png(image["bytes"]), source_view(archive, view, rows["image_id"][i]))


@pytest.mark.parametrize("source", ["built", "loaded"])
def test_pixels_bit_exact(source, request, archive_dir):
    for dataset in request.getfixturevalue(source).values():
        assert_pixels_match_archive(dataset, archive_dir)


def test_builder_and_package_give_the_same_rows(built, loaded):
    for split in ("train", "test"):
        assert built[split].features == loaded[split].features
        assert built[split].data.table.equals(loaded[split].data.table)


def test_streaming_is_bit_exact(package, archive_dir):
    stream = datasets.load_dataset(str(package), "microscopy", split="test", streaming=True)
    seen = 0
    for table in stream.with_format("arrow").iter(batch_size=50):  # exhausted: no early exit
        raw = table.column("raw").combine_chunks()
        storage = raw.storage if isinstance(raw, pa.ExtensionArray) else raw
        for i, image_id in enumerate(table.column("image_id").to_pylist()):
            if table.column("view")[i].as_py() == 0:
                mosaic = np.asarray(storage[i].values.flatten(), dtype=np.uint16).reshape(256, 256)
                expected = source_raw(archive_dir, image_id, table.column("intensity")[i].as_py())
                np.testing.assert_array_equal(mosaic, expected)
                seen += 1
    test_images = len(authors_test_set(list(read_labels(archive_dir).items())))
    assert seen == test_images * len(INTENSITIES)
    first = list(stream.take(2))  # raw rows at full intensity come first (contract v2), python format
    for row in first:
        np.testing.assert_array_equal(
            np.asarray(row["raw"], dtype=np.uint16),
            source_raw(archive_dir, row["image_id"], row["intensity"]),
        )


def test_counts_labels_and_conditions(built, archive_dir):
    labels = read_labels(archive_dir)
    total = 0
    for dataset in built.values():
        rows = columns(dataset)
        images = set(rows["image_id"])
        total += len(images)
        assert dataset.num_rows == len(images) * CONDITIONS
        conditions = Counter(zip(rows["view"], rows["intensity"], strict=True))
        assert set(conditions.values()) == {len(images)}
        assert len(conditions) == CONDITIONS
        assert all(labels[i] == code for i, code in zip(rows["image_id"], rows["annotation"], strict=True))
        label_ids = authors_label_ids(list(labels.items()))
        assert all(label_ids[i] == label for i, label in zip(rows["image_id"], rows["label"], strict=True))
    assert total == len(labels)


def authors_test_set(lines: list[tuple[str, str]]) -> set[str]:
    """The authors' split, written from their steps: (name, code) in label-file order; keep codes of
    the 16-code allow-list with more than 4 lines in the file, drop the invalid file; stratified
    shuffle split 80/20 with seed 1 over what is left, in file order; their 20 % part."""
    allowed = "BAS EBO EOS KSC LYA LYT MMZ MOB MON MYB MYO NGB NGS PMB PMO UNC".split()
    lines_per_code = Counter(code for _, code in lines)
    kept = [
        (name, code)
        for name, code in lines
        if code in allowed and lines_per_code[code] > 4 and name != "Ma190c_lame3_zone13_composite_Mcropped_2"
    ]
    splitter = StratifiedShuffleSplit(n_splits=1, train_size=0.8, random_state=1)
    _, test = next(splitter.split(np.zeros(len(kept)), [code for _, code in kept]))
    return {kept[i][0] for i in test}


def test_split_is_the_authors_split(built, archive_dir):
    lines = list(read_labels(archive_dir).items())  # label-file order
    assert set(built["test"][:]["image_id"]) == authors_test_set(lines)
    assert set(built["train"][:]["image_id"]) == {name for name, _ in lines} - authors_test_set(lines)


def test_split_of_the_published_label_counts_in_shuffled_file_order():
    lines = [(f"{code}{i}", code) for code, count in MICROSCOPY_CLASS_COUNTS.items() for i in range(count)]
    lines[0] = ("Ma190c_lame3_zone13_composite_Mcropped_2", lines[0][1])
    lines = [lines[i] for i in np.random.default_rng(5).permutation(len(lines))]
    split = stratified_split(dict(lines), excluded={"Ma190c_lame3_zone13_composite_Mcropped_2"})
    test = {name for name, where in split.items() if where == "test"}
    assert test == authors_test_set(lines)
    assert len(test) == 188
    assert split["Ma190c_lame3_zone13_composite_Mcropped_2"] == "train"
    sorted_order = stratified_split(dict(sorted(lines)), excluded={"Ma190c_lame3_zone13_composite_Mcropped_2"})
    assert {name for name, where in sorted_order.items() if where == "test"} != test  # the order matters


def test_row_metadata(built, archive_dir):
    labels = read_labels(archive_dir)
    sizes = Counter(labels.values())
    for dataset in built.values():
        rows = columns(dataset)
        for i, image_id in enumerate(rows["image_id"]):
            assert f"lame{rows['slide'][i]}_zone{rows['zone'][i]}_" in image_id
            excluded = image_id in AUTHORS_EXCLUDED_IMAGES or sizes[labels[image_id]] <= 4
            assert rows["authors_excluded"][i] == excluded
            if rows["view"][i] != 0:
                assert rows["intensity"][i] == 1.0
    assert any(any(d[:]["authors_excluded"]) for d in built.values())


# Contract v2: raw captures from full intensity down, then the views in nested canonical order.
RAW_ORDER = [1.0, 0.75, 0.5, 0.25, 0.1, 0.05, 0.01]
VIEW_ORDER = [
    f"{demosaicing}-{sharpening}-{denoising}"
    for demosaicing in ("bilinear", "malvar2004", "menon2007")
    for sharpening in ("sharpening_filter", "unsharp_masking")
    for denoising in ("gaussian_denoising", "median_denoising")
]
COLUMN_ORDER = {
    "microscopy": ["image_id", "preview", "label", "annotation", "authors_excluded", "slide", "zone", "label_order",
                   "view", "intensity", "raw", "rgb"],
    "drone": ["image_id", "preview", "mask", "car_fraction", "frame_id", "frame", "authors_split", "view",
              "intensity", "raw", "rgb"],
    "drone_full": ["image_id", "preview", "mask", "frame_id", "intensity", "raw"],
    "drone_classification": ["image_id", "preview", "label", "mask", "car_fraction", "frame_id", "frame", "grid_row",
                             "grid_col", "authors_split", "intensity", "raw"],
}  # fmt: skip


def test_rows_ordered_raw_full_intensity_first_then_views(loaded, package):
    rows = columns(loaded["train"])
    conditions = [f"raw {x}" for x in RAW_ORDER] + VIEW_ORDER
    keys = [
        (conditions.index(VIEW_NAMES[v] if v else f"raw {x}"), i)
        for v, x, i in zip(rows["view"], rows["intensity"], rows["image_id"], strict=True)
    ]
    assert keys == sorted(keys)
    assert keys[0][0] == 0  # the viewer's first page: raw rows at full intensity
    assert keys[-1][0] == len(conditions) - 1
    shards = sorted(p.name for p in (package / "microscopy" / "train").glob("*.parquet"))
    names = [f"raw_scale{round(100 * x):03d}" for x in RAW_ORDER] + VIEW_ORDER
    assert shards == [f"{rank:02d}-{name}-00000-of-00001.parquet" for rank, name in enumerate(names)]


@pytest.mark.parametrize("config", list(COLUMN_ORDER))
def test_column_order_and_types(package, config):
    features = datasets.load_dataset_builder(str(package), config).info.features
    assert list(features) == COLUMN_ORDER[config]
    assert features["intensity"] == datasets.Value("float64")
    for shard in (package / config).rglob("*.parquet"):
        assert pq.read_schema(shard).names == COLUMN_ORDER[config]


def test_conversion_is_deterministic_and_packaging_independent(package, archive_zip_dir, tmp_path):
    again = tmp_path / "again"
    convert(archive_zip_dir, again, progress=False)  # same seed, but read from a zip in a folder
    assert tree(again) == tree(package)


def test_package_layout_and_parquet_settings(package):
    files = sorted(str(p.relative_to(package)) for p in package.rglob("*") if p.is_file())
    assert not [f for f in files if f.endswith(".py")]
    assert "README.md" in files
    assert "dataset_infos.json" in files
    shards = [f for f in files if f.endswith(".parquet")]
    assert {f.split("/")[0] for f in shards} == {"microscopy", "drone", "drone_full", "drone_classification"}
    assert len([f for f in shards if f.startswith(("microscopy/", "drone/"))]) == 2 * 2 * CONDITIONS
    assert len([f for f in shards if f.startswith("drone_full/")]) == DEFAULT_FRAMES * len(INTENSITIES)
    assert len([f for f in shards if f.startswith("drone_classification/")]) == 2 * len(INTENSITIES)
    tile_shards = [f for f in shards if not f.startswith("drone_full/")]
    assert all(f.rsplit("-", 3)[1:] == ["00000", "of", "00001.parquet"] for f in tile_shards)
    metadata = pq.ParquetFile(package / "microscopy/train/02-raw_scale050-00000-of-00001.parquet").metadata
    names = [metadata.schema.column(i).path for i in range(metadata.num_columns)]
    raw = names.index("raw.list.element.list.element")
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        assert row_group.num_rows <= ROWS_PER_ROW_GROUP
        assert row_group.total_byte_size <= 100 * 2**20
        assert "DELTA_BINARY_PACKED" in row_group.column(raw).encodings  # DuckDB 1.5 reads it
        assert row_group.column(raw).compression == "ZSTD"
        assert row_group.column(names.index("view")).statistics is not None


def test_sixteen_bit_views_round_trip(package16, archive16_dir, tmp_path):
    loaded = datasets.load_dataset(str(package16), "microscopy", split="test", cache_dir=str(tmp_path))
    assert loaded.features["rgb"] == datasets.Array3D((256, 256, 3), "uint16")
    rows = columns(loaded)
    view_rows = [i for i, view in enumerate(rows["view"]) if view != 0]
    rgbs = loaded.select(view_rows).with_format("numpy", columns=["rgb"], dtype=np.uint16)[:]["rgb"]
    assert rgbs.dtype == np.uint16
    assert rgbs.max() > 255  # really 16-bit values, not 8-bit ones widened
    for rgb, i in zip(rgbs, view_rows, strict=True):
        np.testing.assert_array_equal(rgb, source_view(archive16_dir, VIEW_NAMES[rows["view"][i]], rows["image_id"][i]))
    built = build(archive16_dir, str(tmp_path / "cache"))
    assert built["test"].data.table.equals(loaded.data.table)


def test_repository_infos_are_the_published_ones(tmp_path):
    write_infos(tmp_path / "dataset_infos.json", published_infos())
    assert (REPO / "dataset_infos.json").read_text() == (tmp_path / "dataset_infos.json").read_text()
    splits = published_infos()["microscopy"].splits
    assert (splits["train"].num_examples, splits["test"].num_examples) == (752 * 19, 188 * 19)


def test_card_yaml_matches_the_package(package, loaded):
    card = datasets.load_dataset_builder(str(package), "microscopy").info
    assert card.features == loaded["train"].features
    assert {s: card.splits[s].num_examples for s in card.splits} == {s: d.num_rows for s, d in loaded.items()}
    text = (package / "README.md").read_text()
    assert "license: cc-by-4.0" in text
    assert "path: microscopy/train/*.parquet" in text


def authors_label_ids(lines: list[tuple[str, str]]) -> dict[str, int]:
    """The authors' label ids, written from their rule: codes of the 16-code allow-list with more than 4
    lines in the file, sorted, index in that list; -1 for any other code."""
    allowed = "BAS EBO EOS KSC LYA LYT MMZ MOB MON MYB MYO NGB NGS PMB PMO UNC".split()
    lines_per_code = Counter(code for _, code in lines)
    classes = sorted(code for code in lines_per_code if code in allowed and lines_per_code[code] > 4)
    return {name: classes.index(code) if code in classes else -1 for name, code in lines}


def _copy_image(archive: Path, source: str, name: str) -> None:
    """Every file of image `source` (all intensities and views) again under the name `name`."""
    for path in (archive / "microscopy" / "images").rglob(f"{source}.*"):
        path.with_name(name + path.suffix).write_bytes(path.read_bytes())


@pytest.mark.parametrize("relabel", [False, True])
def test_labels_keep_every_annotation_with_the_authors_ids(archive_dir, tmp_path, relabel):
    archive = tmp_path / "archive"
    shutil.copytree(archive_dir / "microscopy", archive / "microscopy")
    labels_file = archive / "microscopy" / "labels" / MICROSCOPY_LABEL_FILE
    lines = [tuple(line.split()) for line in labels_file.read_text().splitlines()]
    extra = {"Ma190c_lame9_zone1_composite_Mcropped_1": "MYB", "Ma190c_lame9_zone1_composite_Mcropped_2": "MYB"}
    extra["Ma190c_lame9_zone1_composite_Mcropped_3"] = "XYZ"  # a code outside the authors' allow-list
    for name in extra:
        _copy_image(archive, lines[-1][0], name)
    lines += list(extra.items())
    if relabel:  # five PMO lines: a tenth class the authors keep, and classes that fall under 5 lines
        lines = [(name, "PMO") if i % 9 == 4 else (name, code) for i, (name, code) in enumerate(lines)]
    labels_file.write_text("".join(f"{name} {code}\n" for name, code in lines))
    expected = authors_label_ids(lines)
    builder = Lens2Logit(config_name="microscopy", data_dir=str(archive), cache_dir=str(tmp_path / "cache"))
    builder.download_and_prepare()
    rows = {}
    for split, dataset in builder.as_dataset().items():
        for row in dataset.select_columns(["image_id", "label", "annotation", "authors_excluded"]):
            rows.setdefault(row["image_id"], (split, row))
    assert rows.keys() == {name for name, _ in lines}  # nothing annotated is lost
    codes = dict(lines)
    names = builder.info.features["label"].names
    assert names == sorted({codes[n] for n, label in expected.items() if label >= 0})
    for name, (split, row) in rows.items():
        assert row["annotation"] == codes[name]
        assert row["label"] == expected[name], name
        excluded = expected[name] == -1 or name == "Ma190c_lame3_zone13_composite_Mcropped_2"
        assert row["authors_excluded"] == excluded
        if excluded:
            assert split == "train"
    dropped = sum(label == -1 for label in expected.values())
    assert dropped == sum(row["label"] == -1 for _, row in rows.values()) >= 3
    test = {name for name, (split, _) in rows.items() if split == "test"}
    assert test == authors_test_set(lines)
