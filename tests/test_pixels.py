"""The training helper `lens2logit.pixels`: exact pixel values as numpy uint16 or torch int32."""

import datasets
import numpy as np
import pytest
import torch
from helpers import source_frame, source_raw, source_tile, source_tile_view, source_view

from conversion.constants import INTENSITIES, PROCESSED_VIEWS, VIEW_NAMES
from lens2logit import pixels

EXPECTED = {"numpy": (np.ndarray, np.uint16), "torch": (torch.Tensor, torch.int32)}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cache"))


def as_numpy(value) -> np.ndarray:
    return value.numpy() if isinstance(value, torch.Tensor) else value


@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_raw_rows_map_style(package, archive_dir, cache, framework):
    dataset = datasets.load_dataset(str(package), "microscopy", split="test", cache_dir=cache)
    raw = pixels(dataset, framework)
    images = len(set(dataset[:]["image_id"]))
    assert len(raw) == images * len(INTENSITIES)
    kind, dtype = EXPECTED[framework]
    batch = raw[: len(raw)]
    assert isinstance(batch["raw"], kind)
    assert batch["raw"].dtype == dtype
    assert tuple(batch["raw"].shape) == (len(raw), 256, 256)
    for i in range(len(raw)):
        expected = source_raw(archive_dir, batch["image_id"][i], batch["intensity"][i])
        np.testing.assert_array_equal(as_numpy(batch["raw"][i]), expected)
    assert isinstance(batch["intensity"][0], float)  # other columns are left alone


@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_streamed_rows(package, archive_dir, framework):
    stream = datasets.load_dataset(str(package), "drone", split="test", streaming=True)
    kind, dtype = EXPECTED[framework]
    seen = 0
    for row in pixels(stream, framework):  # exhausted: no early exit
        assert isinstance(row["raw"], kind)
        assert row["raw"].dtype == dtype
        np.testing.assert_array_equal(as_numpy(row["raw"]), source_tile(archive_dir, row["image_id"], row["intensity"]))
        seen += 1
    tiles = {row["image_id"] for row in stream.select_columns(["image_id"])}
    assert seen == len(tiles) * len(INTENSITIES)


def test_view_rows(package, package16, archive_dir, archive16_dir, cache):
    drone = pixels(datasets.load_dataset(str(package), "drone", split="test", cache_dir=cache), rows="views")
    row = drone[0]
    assert row["rgb"].dtype == np.uint8
    np.testing.assert_array_equal(row["rgb"], source_tile_view(archive_dir, VIEW_NAMES[row["view"]], row["image_id"]))
    sixteen = pixels(datasets.load_dataset(str(package16), "microscopy", split="test", cache_dir=cache), rows="views")
    assert len(sixteen) == len(set(sixteen[:]["image_id"])) * len(PROCESSED_VIEWS)
    row = sixteen[-1]
    assert row["rgb"].dtype == np.uint16
    np.testing.assert_array_equal(row["rgb"], source_view(archive16_dir, VIEW_NAMES[row["view"]], row["image_id"]))


@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_full_frames(package, archive_dir, cache, framework):
    frames = pixels(datasets.load_dataset(str(package), "drone_full", split="test", cache_dir=cache), framework)
    kind, dtype = EXPECTED[framework]
    for i in range(len(frames)):
        row = frames[i]
        assert isinstance(row["raw"], kind)
        assert row["raw"].dtype == dtype
        frame = as_numpy(row["raw"])[0] if framework == "torch" else row["raw"]  # torch images are channels-first
        np.testing.assert_array_equal(frame, source_frame(archive_dir, row["image_id"], row["intensity"]))
    with pytest.raises(ValueError, match="no processed views"):
        pixels(frames, rows="views")


def test_selected_columns(package, archive_dir, cache):
    dataset = datasets.load_dataset(str(package), "microscopy", split="test", cache_dir=cache)
    raw = pixels(dataset, columns=["label", "image_id", "intensity"])
    assert list(raw.features) == ["raw", "label", "image_id", "intensity"]
    batch = raw[:5]
    for mosaic, image_id, intensity in zip(batch["raw"], batch["image_id"], batch["intensity"], strict=True):
        np.testing.assert_array_equal(mosaic, source_raw(archive_dir, image_id, intensity))
    stream = datasets.load_dataset(str(package), "microscopy", split="test", streaming=True)
    rows = list(pixels(stream, columns=["label"]))  # exhausted
    assert len(rows) == len(raw)
    assert set(rows[0]) == {"raw", "label"}


def test_bad_arguments(package, cache):
    dataset = datasets.load_dataset(str(package), "drone", split="test", cache_dir=cache)
    with pytest.raises(ValueError, match="framework must be one of"):
        pixels(dataset, "jax")
    with pytest.raises(ValueError, match="rows must be one of"):
        pixels(dataset, rows="rgb")
