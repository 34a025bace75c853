"""Drone tiles and full frames: archive -> builder -> Parquet package -> load_dataset and streaming."""

import subprocess
import sys
from collections import Counter
from pathlib import Path

import datasets
import numpy as np
import pyarrow.parquet as pq
import pytest
from helpers import decode_png, source_frame, source_mask, source_tile, source_tile_view, tile_frames

from _lens2logit.archive.drone import index_drone
from _lens2logit.archive.drone_full import index_drone_full
from _lens2logit.archive.reader import Archive
from _lens2logit.archive.splits import authors_tile_split, frame_split
from _lens2logit.facts import FULL_INTENSITY, INTENSITIES, PROCESSED_VIEWS, VIEW_NAMES
from _lens2logit.sample.writer import DEFAULT_FRAMES
from lens2logit import Lens2Logit

CONDITIONS = len(INTENSITIES) + len(PROCESSED_VIEWS)


ROW_COLUMNS = ["image_id", "frame_id", "frame", "intensity", "view", "car_fraction"]


def build(config: str, archive: Path, cache_dir: str) -> datasets.DatasetDict:
    builder = Lens2Logit(config_name=config, data_dir=str(archive), cache_dir=cache_dir)
    builder.download_and_prepare()
    return builder.as_dataset()


@pytest.fixture(scope="module")
def built(archive_dir, tmp_path_factory):
    cache = str(tmp_path_factory.mktemp("cache"))
    return {config: build(config, archive_dir, cache) for config in ("drone", "drone_full")}


@pytest.fixture(scope="module")
def loaded(package, tmp_path_factory):
    cache = str(tmp_path_factory.mktemp("cache"))
    return {config: datasets.load_dataset(str(package), config, cache_dir=cache) for config in ("drone", "drone_full")}


def archive_tiles(archive: Path) -> dict[str, int]:
    """Tile name -> frame number, from the file names of raw_scale100."""
    names = (archive / "drone/images_tiles_256/raw_scale100").iterdir()
    return {path.stem: int(path.stem.split("_")[0]) for path in names}


def assert_tiles_match_archive(dataset: datasets.Dataset, archive: Path) -> None:
    rows = dataset.select_columns(ROW_COLUMNS).to_dict()
    frames = tile_frames(archive)
    raw_rows = [i for i, view in enumerate(rows["view"]) if view == 0]
    mosaics = dataset.select(raw_rows).with_format("numpy", columns=["raw"], dtype=np.uint16)[:]["raw"]
    assert mosaics.dtype == np.uint16
    for mosaic, i in zip(mosaics, raw_rows, strict=True):
        expected = source_tile(archive, rows["image_id"][i], rows["intensity"][i])
        np.testing.assert_array_equal(mosaic, expected)
        assert not (mosaic % 16).any()  # 12-bit values left-justified
    encoded = dataset.cast_column("rgb", datasets.Image(decode=False)).cast_column("mask", datasets.Image(decode=False))
    for i, row in enumerate(encoded.select_columns(["rgb", "mask"])):
        mask = decode_png(row["mask"]["bytes"])
        assert mask.dtype == bool
        np.testing.assert_array_equal(mask, source_mask(archive, "masks_tiles_256", rows["image_id"][i]))
        assert rows["car_fraction"][i] == pytest.approx(mask.mean(), abs=1e-7)
        assert rows["frame_id"][i] == int(rows["image_id"][i].split("_")[0])
        assert rows["frame"][i] == frames[rows["image_id"][i]]
        if rows["view"][i] != 0:
            view = VIEW_NAMES[rows["view"][i]]
            np.testing.assert_array_equal(
                decode_png(row["rgb"]["bytes"]), source_tile_view(archive, view, rows["image_id"][i])
            )


def assert_frames_match_archive(dataset: datasets.Dataset, archive: Path) -> None:
    numbers = {frame: int(tile.split("_")[0]) for tile, frame in tile_frames(archive).items()}
    for row in dataset:
        assert isinstance(row["raw"], bytes)  # a 16-bit PNG file, binary for the Hub viewer
        raw = decode_png(row["raw"])
        assert raw.dtype == np.uint16
        np.testing.assert_array_equal(raw, source_frame(archive, row["image_id"], row["intensity"]))
        mask = np.asarray(row["mask"])
        assert row["mask"].mode == "1"
        np.testing.assert_array_equal(mask, source_mask(archive, "masks_full", row["image_id"]))
        assert row["frame_id"] == numbers[row["image_id"]]  # the NN of the tiles cut from it


@pytest.mark.parametrize("source", ["built", "loaded"])
def test_tiles_and_masks_bit_exact(source, request, archive_dir):
    for dataset in request.getfixturevalue(source)["drone"].values():
        assert_tiles_match_archive(dataset, archive_dir)


@pytest.mark.parametrize("source", ["built", "loaded"])
def test_full_frames_and_masks_bit_exact(source, request, archive_dir):
    for dataset in request.getfixturevalue(source)["drone_full"].values():
        assert_frames_match_archive(dataset, archive_dir)


def test_builder_and_package_give_the_same_rows(built, loaded):
    for config in built:
        for split in ("train", "test"):
            assert built[config][split].features == loaded[config][split].features
            assert built[config][split].data.table.equals(loaded[config][split].data.table)


def test_streaming_is_bit_exact(package, archive_dir):
    seen = Counter()
    for config in ("drone", "drone_full"):
        stream = datasets.load_dataset(str(package), config, split="test", streaming=True)
        for row in stream:  # exhausted: no early exit
            seen[config] += 1
            intensity = row["intensity"]
            if config == "drone_full":
                np.testing.assert_array_equal(
                    decode_png(row["raw"]), source_frame(archive_dir, row["image_id"], intensity)
                )
            elif row["view"] == 0:
                np.testing.assert_array_equal(
                    np.asarray(row["raw"], dtype=np.uint16), source_tile(archive_dir, row["image_id"], intensity)
                )
            folder = "masks_full" if config == "drone_full" else "masks_tiles_256"
            np.testing.assert_array_equal(np.asarray(row["mask"]), source_mask(archive_dir, folder, row["image_id"]))
    test_frames = [
        f for f, split in frame_split(Counter(archive_tiles(archive_dir).values())).items() if split == "test"
    ]
    test_tiles = [t for t, frame in archive_tiles(archive_dir).items() if frame in test_frames]
    assert seen == {"drone": len(test_tiles) * CONDITIONS, "drone_full": len(test_frames) * len(INTENSITIES)}


def test_split_by_frame_and_counts_reconcile(built, archive_dir, package):
    tiles = archive_tiles(archive_dir)
    expected_split = frame_split(Counter(tiles.values()))
    frames = {}
    for config, splits in built.items():
        for split, dataset in splits.items():
            rows = dataset.select_columns(["image_id", "frame_id", "intensity"]).to_dict()
            assert {expected_split[frame] for frame in rows["frame_id"]} == {split}
            frames[config, split] = set(rows["frame_id"])
            conditions = Counter(zip(rows["image_id"], rows["intensity"], strict=True))
            if config == "drone":
                split_tiles = {t for t, frame in tiles.items() if expected_split[frame] == split}
                assert set(rows["image_id"]) == split_tiles
                assert dataset.num_rows == len(split_tiles) * CONDITIONS
                assert Counter(conditions.values()) == {len(PROCESSED_VIEWS) + 1: len(split_tiles) * 1} | {
                    1: len(split_tiles) * (len(INTENSITIES) - 1)
                }
            else:
                assert dataset.num_rows == len(frames[config, split]) * len(INTENSITIES)
                assert set(conditions.values()) == {1}
    assert not frames["drone", "train"] & frames["drone", "test"]
    assert frames["drone", "train"] | frames["drone", "test"] == set(tiles.values())
    assert frames["drone_full", "test"] == frames["drone", "test"]
    card = (package / "README.md").read_text()
    test_frames = ", ".join(map(str, sorted(frames["drone", "test"])))
    assert f"Test frames: {test_frames}." in card


def test_frame_split_rule():
    counts = {frame: 40 + frame for frame in range(1, 13)}
    split = frame_split(counts)
    assert split == frame_split(dict(reversed(counts.items())))  # independent of input order
    test_tiles = sum(counts[frame] for frame, side in split.items() if side == "test")
    assert abs(test_tiles / sum(counts.values()) - 0.2) < 40 / sum(counts.values())
    assert set(split.values()) == {"train", "test"}


def test_full_frames_one_frame_per_shard(package):
    shards = sorted((package / "drone_full").rglob("*.parquet"))
    assert len(shards) == DEFAULT_FRAMES * len(INTENSITIES)
    assert {pq.ParquetFile(shard).metadata.num_rows for shard in shards} == {1}
    for split in ("train", "test"):
        names = sorted(shard.name for shard in shards if shard.parent.name == split)
        frames = len(names) // len(INTENSITIES)
        expected = [
            f"{c}-{i:05d}-of-{frames:05d}.parquet"
            for c in sorted({n.rsplit("-", 3)[0] for n in names})
            for i in range(frames)
        ]
        assert names == expected


STREAM_ONE_FRAME = """
import sys, datasets
def read_bytes():
    with open("/proc/self/io") as io:
        return int(next(line for line in io if line.startswith("rchar")).split()[1])
for row in datasets.load_dataset(sys.argv[1], "drone_full", split="test", streaming=True):
    pass  # loads the modules that decoding needs, so that only data reads are counted below
stream = datasets.load_dataset(sys.argv[1], "drone_full", split="train", streaming=True)
before = read_bytes()
rows = iter(stream)
first = next(rows)
print(read_bytes() - before, first["image_id"])
"""


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="counts bytes read through Linux /proc/self/io")
def test_streaming_one_frame_reads_only_that_frame(package):
    shards = sorted((package / "drone_full/train").glob("*.parquet"))
    # A subprocess, so that leaving the stream early cannot hang this interpreter (apache/arrow#45214).
    result = subprocess.run(
        [sys.executable, "-c", STREAM_ONE_FRAME, str(package)], capture_output=True, text=True, timeout=120, check=True
    )
    read, image_id = result.stdout.split()
    assert image_id == pq.read_table(shards[0], columns=["image_id"])["image_id"][0].as_py()
    # pyarrow reads the file's last 64 KiB for its footer, then the column chunks: that tail twice at most
    assert shards[0].stat().st_size <= int(read) < shards[0].stat().st_size + 2 * 2**16
    assert int(read) < sum(shard.stat().st_size for shard in shards) / 10


def test_tiling_check_finds_every_tile_in_its_frame(archive_dir):
    from _lens2logit.archive.tiling_check import check_tiling

    with Archive(archive_dir) as archive:
        report = check_tiling(archive, index_drone(archive), index_drone_full(archive), progress=False)
    tiles = archive_tiles(archive_dir)
    assert report.problems == []
    assert report.compared == report.matched == len(tiles) * len(INTENSITIES)
    assert report.masks_compared == report.masks_matched == len(tiles)
    for frame in set(tiles.values()):
        in_frame = sorted(t for t in tiles if tiles[t] == frame)
        positions = [report.positions[t] for t in in_frame]
        assert positions == sorted(positions)  # tiles numbered in grid order, as the sample cut them
        assert len(set(positions)) == len(positions)


def test_tiling_check_reports_a_tile_not_cut_from_its_frame(drone_archive_dir, tmp_path, capsys):
    import shutil

    import tifffile

    from _lens2logit.cli.main import main

    archive = tmp_path / "archive"
    shutil.copytree(drone_archive_dir, archive)
    tile = sorted((archive / "drone/images_tiles_256/raw_scale050").iterdir())[0]
    pixels = tifffile.imread(tile)
    pixels[0, 0] += 16
    tifffile.imwrite(tile, pixels)
    assert main(["check", str(archive), "--no-progress"]) == 1
    printed = capsys.readouterr()
    assert f"{tile}: equals no 256-grid cell of" in printed.err
    tiles = len(list((archive / "drone/images_tiles_256/raw_scale100").iterdir()))
    assert f"{tiles * 7 - 1} of {tiles * 7} tile captures equal" in printed.out


def test_tiff_full_frames(tmp_path):
    from conftest import write_drone_archive

    archive = write_drone_archive(tmp_path / "archive", frame_format="tiff")
    with Archive(archive) as opened:
        index = index_drone_full(opened)
        tables = [table for split in ("train", "test") for _, _, table in index.tables(opened, split)]
        tiles = index_drone(opened)
    assert len(tables) == 2 * len(INTENSITIES)
    assert {frame.frame_id for frame in index.frames.values()} == {tile.frame_id for tile in tiles.tiles.values()}
    for table in tables:
        row = table.to_pylist()[0]
        raw = decode_png(row["raw"])
        np.testing.assert_array_equal(raw, source_frame(archive, row["image_id"], row["intensity"]))
    assert any(row["intensity"] == FULL_INTENSITY for table in tables for row in table.to_pylist())


def authors_validation_tiles(tile_ids: list[str]) -> set[str]:
    """The authors' segmentation split, written from their steps: seed numpy's global generator with 1,
    permute the tiles listed in sorted order, the first int(0.8 n) train, the rest validation."""
    listing = sorted(tile_ids)
    # numpy's legacy global generator, exactly as the authors' code uses it
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(1)  # noqa: NPY002
    permutation = np.random.permutation(len(listing))  # noqa: NPY002
    np.random.set_state(state)  # noqa: NPY002
    return {listing[i] for i in permutation[int(0.8 * len(listing)) :]}


def test_authors_split_of_548_tiles():
    tile_ids = [f"{frame:02d}_{tile:05d}" for frame in range(12) for tile in range(46)][:548]
    split = authors_tile_split(list(reversed(tile_ids)))
    assert Counter(split.values()) == {"train": 438, "validation": 110}
    assert {tile for tile, side in split.items() if side == "validation"} == authors_validation_tiles(tile_ids)


def test_authors_split_column(package, archive_dir):
    tiles = archive_tiles(archive_dir)
    expected = authors_validation_tiles(list(tiles))
    seen = {}
    for dataset in datasets.load_dataset(str(package), "drone").values():
        for image_id, side in zip(dataset["image_id"], dataset["authors_split"], strict=True):
            assert seen.setdefault(image_id, side) == side  # the same on every row of a tile
    assert seen.keys() == tiles.keys()
    assert {tile for tile, side in seen.items() if side == "validation"} == expected
    assert 0 < len(expected) < len(tiles)
