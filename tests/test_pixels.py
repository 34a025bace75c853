"""The training helpers `lens2logit.pixels` and `loader`: exact pixel values as numpy uint16 or torch
int32, the same shapes and dtypes map-style and streamed."""

import datasets
import numpy as np
import pytest
import torch
from helpers import source_frame, source_raw, source_tile, source_tile_view, source_view
from PIL import Image

from _lens2logit.errors import Lens2LogitError
from _lens2logit.facts import INTENSITIES, PROCESSED_VIEWS, VIEW_NAMES
from lens2logit import loader, pixels, process

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
        expected = source_raw(archive_dir, batch["image_id"][i], float(batch["intensity"][i]))
        np.testing.assert_array_equal(as_numpy(batch["raw"][i]), expected)
    assert isinstance(batch["intensity"], kind)
    assert batch["intensity"].dtype == (np.float64 if framework == "numpy" else torch.float64)
    assert isinstance(batch["image_id"], list)
    assert isinstance(batch["preview"][0], Image.Image)  # images decoded as datasets does
    rows = raw[[5, 2, 7]]  # any order: one Arrow take
    for position, i in enumerate([5, 2, 7]):
        np.testing.assert_array_equal(as_numpy(rows["raw"][position]), as_numpy(batch["raw"][i]))
    assert [row["image_id"] for row in raw] == batch["image_id"]


@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_streamed_rows(package, archive_dir, framework):
    stream = datasets.load_dataset(str(package), "drone", split="test", streaming=True)
    kind, dtype = EXPECTED[framework]
    seen = 0
    for row in pixels(stream, framework):  # exhausted: no early exit
        assert isinstance(row["raw"], kind)
        assert row["raw"].dtype == dtype
        np.testing.assert_array_equal(
            as_numpy(row["raw"]), source_tile(archive_dir, row["image_id"], float(row["intensity"]))
        )
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
    full = datasets.load_dataset(str(package), "drone_full", split="test", cache_dir=cache)
    frames = pixels(full, framework)
    kind, dtype = EXPECTED[framework]
    for i in range(len(frames)):
        row = frames[i]
        assert isinstance(row["raw"], kind)
        assert row["raw"].dtype == dtype
        expected = source_frame(archive_dir, row["image_id"], float(row["intensity"]))
        assert tuple(row["raw"].shape) == expected.shape
        np.testing.assert_array_equal(as_numpy(row["raw"]), expected)
    with pytest.raises(ValueError, match="no processed views"):
        pixels(full, rows="views")
    with pytest.raises(TypeError, match="takes a datasets.Dataset or IterableDataset"):
        pixels(frames)


def test_selected_columns(package, archive_dir, cache):
    dataset = datasets.load_dataset(str(package), "microscopy", split="test", cache_dir=cache)
    raw = pixels(dataset, columns=["label", "image_id", "intensity"])
    assert list(raw[0]) == ["raw", "label", "image_id", "intensity"]
    batch = raw[:5]
    for mosaic, image_id, intensity in zip(batch["raw"], batch["image_id"], batch["intensity"], strict=True):
        np.testing.assert_array_equal(mosaic, source_raw(archive_dir, image_id, intensity))
    stream = datasets.load_dataset(str(package), "microscopy", split="test", streaming=True)
    rows = list(pixels(stream, columns=["label"]))  # exhausted
    assert len(rows) == len(raw)
    assert set(rows[0]) == {"raw", "label"}


SHAPES = {  # (numpy shape, numpy dtype, torch shape, torch dtype) of one row's pixels
    ("microscopy", "raw"): ((256, 256), np.uint16, (256, 256), torch.int32),
    ("drone", "views"): ((256, 256, 3), np.uint8, (3, 256, 256), torch.uint8),
    ("drone_full", "raw"): ((640, 896), np.uint16, (640, 896), torch.int32),
    ("drone_classification", "raw"): ((256, 256), np.uint16, (256, 256), torch.int32),
}


@pytest.mark.parametrize(("config", "rows"), list(SHAPES))
@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_map_style_and_streamed_agree(package, cache, config, rows, framework):
    """The same rows, values, shapes and dtypes whether the dataset is map-style or streamed."""
    numpy_shape, numpy_dtype, torch_shape, torch_dtype = SHAPES[config, rows]
    shape, dtype = (numpy_shape, numpy_dtype) if framework == "numpy" else (torch_shape, torch_dtype)
    column = "raw" if rows == "raw" else "rgb"
    mapped = pixels(
        datasets.load_dataset(str(package), config, split="test", cache_dir=cache), framework, rows, ["image_id"]
    )
    stream = datasets.load_dataset(str(package), config, split="test", streaming=True)
    streamed = list(pixels(stream, framework, rows, ["image_id"]))  # exhausted
    assert len(streamed) == len(mapped) > 0
    for row, other in zip(mapped, streamed, strict=True):
        assert row["image_id"] == other["image_id"]
        for pixels_ in (row[column], other[column]):
            assert tuple(pixels_.shape) == shape
            assert pixels_.dtype == dtype
        np.testing.assert_array_equal(as_numpy(row[column]), as_numpy(other[column]))


@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_selected_shuffled_and_filtered_datasets(package, archive_dir, cache, framework):
    """Rows a user picked or reordered: contiguous `select` slices the table, `shuffle` and `filter` map
    its rows through indices; every path gives the pixels of its own rows."""
    dataset = datasets.load_dataset(str(package), "microscopy", split="test", cache_dir=cache)
    picked = {
        "select": dataset.select(range(40, len(dataset))),
        "shuffle": dataset.shuffle(seed=3),
        "filter": dataset.filter(lambda ids: [i.endswith("_1") for i in ids], input_columns="image_id", batched=True),
    }
    # The table's own rows are read from numpy views of its memory; rows mapped through indices never are.
    assert pixels(dataset, framework)._pixels is not None
    for name, subset in picked.items():
        raw = pixels(subset, framework, columns=["image_id", "intensity"])
        assert (raw._pixels is not None) == (name == "select"), name
        expected = [(row["image_id"], row["intensity"]) for row in subset if row["view"] == 0]
        assert len(raw) == len(expected) > 0, name
        for rows in (raw[: len(raw)], raw[list(reversed(range(len(raw))))]):
            keys = list(zip(rows["image_id"], map(float, rows["intensity"]), strict=True))
            assert sorted(keys) == sorted(expected), name
            for mosaic, (image_id, intensity) in zip(rows["raw"], keys, strict=True):
                np.testing.assert_array_equal(as_numpy(mosaic), source_raw(archive_dir, image_id, intensity))


def test_loader_reads_whole_batches(package, archive_dir, cache):
    dataset = datasets.load_dataset(str(package), "microscopy", split="test", cache_dir=cache)
    train = pixels(dataset, "torch", columns=["image_id", "intensity", "label"])
    seen = []
    for batch in loader(train, batch_size=16, shuffle=True, num_workers=2):
        assert batch["raw"].dtype == torch.int32
        assert batch["label"].dtype == torch.int64
        assert len(batch["raw"]) <= 16
        for mosaic, image_id, intensity in zip(batch["raw"], batch["image_id"], batch["intensity"], strict=True):
            np.testing.assert_array_equal(mosaic.numpy(), source_raw(archive_dir, image_id, float(intensity)))
            seen.append((image_id, float(intensity)))
    assert sorted(seen) == sorted(zip(train[:]["image_id"], train[:]["intensity"].tolist(), strict=True))
    plain = torch.utils.data.DataLoader(train, batch_size=16, num_workers=0)  # the usual way works too
    first = next(iter(plain))
    assert first["raw"].shape == (16, 256, 256)
    np.testing.assert_array_equal(first["raw"].numpy(), train[:16]["raw"].numpy())


def test_bad_arguments(package, cache):
    dataset = datasets.load_dataset(str(package), "drone", split="test", cache_dir=cache)
    with pytest.raises(ValueError, match="framework must be one of"):
        pixels(dataset, "jax")
    with pytest.raises(ValueError, match="rows must be one of"):
        pixels(dataset, rows="rgb")
    with pytest.raises(ValueError, match=r"this dataset has no column 'raw' \(its columns: image_id, preview, mask"):
        pixels(dataset.remove_columns(["raw"]))
    with pytest.raises(ValueError, match="this dataset has no column 'label'"):
        pixels(dataset, columns=["image_id", "label"])


def test_a_stream_through_workers_gives_every_row_once(package, archive_dir, cache):
    """A stream read by 2 DataLoader workers, whole batches through `loader` or rows through a plain
    DataLoader: every raw row once, with its stored pixels."""
    expected = pixels(
        datasets.load_dataset(str(package), "drone", split="test", cache_dir=cache), columns=["image_id", "intensity"]
    )
    expected = sorted(zip(expected[:]["image_id"], expected[:]["intensity"].tolist(), strict=True))
    stream = datasets.load_dataset(str(package), "drone", split="test", streaming=True)
    assert stream.num_shards >= 2
    rows = pixels(stream, "torch", columns=["image_id", "intensity"])
    seen = []
    for batch in loader(rows, batch_size=16, num_workers=2):  # exhausted
        assert isinstance(batch["raw"], torch.Tensor)
        assert batch["raw"].dtype == torch.int32
        assert 0 < len(batch["raw"]) <= 16
        for tile, image_id, intensity in zip(batch["raw"], batch["image_id"], batch["intensity"], strict=True):
            np.testing.assert_array_equal(tile.numpy(), source_tile(archive_dir, image_id, float(intensity)))
            seen.append((image_id, float(intensity)))
    assert sorted(seen) == expected
    plain = torch.utils.data.DataLoader(rows, batch_size=None, num_workers=2)  # row by row: each row once too
    assert sorted((row["image_id"], float(row["intensity"])) for row in plain) == expected


def test_loader_of_a_stream_refuses_what_it_cannot_do(package):
    stream = pixels(datasets.load_dataset(str(package), "drone", split="test", streaming=True), "torch")
    with pytest.raises(ValueError, match=r"shuffle the stream before pixels \(stream.shuffle\(seed=\.\.\."):
        loader(stream, batch_size=4, shuffle=True)
    with pytest.raises(ValueError, match="leave shuffle and drop_last out"):
        loader(stream, batch_size=4, drop_last=True)
    with pytest.raises(TypeError, match=r"loader takes the rows of pixels\(dataset, 'torch'\).*got list"):
        loader([], batch_size=4)


def test_an_empty_dataset_gives_empty_batches():
    empty = datasets.Dataset.from_dict(
        {"raw": [], "label": []},
        features=datasets.Features({"raw": datasets.Array2D((256, 256), "uint16"), "label": datasets.Value("int64")}),
    )
    rows = pixels(empty)
    assert len(rows) == 0
    assert rows[:]["raw"].shape == (0, 256, 256)
    assert rows[:]["raw"].dtype == np.uint16
    assert list(rows) == []


def test_raw_rows_through_a_pipeline(package, archive_dir, cache):
    """numpy: the reference on each row's mosaic, at every intensity; at full intensity, rounded to 8 bits, the
    archive's stored view. torch, streamed: (3, H, W) float32 batches of the port, with the drone camera, the
    numbers the port gives each mosaic alone (the port against the reference: test_processing)."""
    name = "menon2007-unsharp_masking-median_denoising"
    dataset = datasets.load_dataset(str(package), "microscopy", split="test", cache_dir=cache)
    rows = pixels(dataset, pipeline=name, columns=["image_id", "intensity"])
    batch = rows[: len(rows)]
    assert set(batch) == {"rgb", "image_id", "intensity"}
    assert batch["rgb"].shape == (len(rows), 256, 256, 3)
    assert batch["rgb"].dtype == np.float64
    for i in range(len(rows)):
        raw = source_raw(archive_dir, batch["image_id"][i], float(batch["intensity"][i]))
        np.testing.assert_array_equal(batch["rgb"][i], process(raw, name, "microscopy"))
        if batch["intensity"][i] == 1.0:
            stored = source_view(archive_dir, name, batch["image_id"][i])
            np.testing.assert_array_equal(np.rint(batch["rgb"][i] * 255).astype(np.uint8), stored)
    assert set(batch["intensity"]) == set(INTENSITIES)
    stream = datasets.load_dataset(str(package), "drone", split="test", streaming=True)
    seen = 0
    for streamed in pixels(stream, "torch", pipeline=name, unsharp="2d").iter(batch_size=50):
        assert streamed["rgb"].dtype == torch.float32
        assert streamed["rgb"].shape[1:] == (3, 256, 256)
        for i, image_id in enumerate(streamed["image_id"]):
            raw = source_tile(archive_dir, image_id, float(streamed["intensity"][i]))
            alone = process(torch.from_numpy(raw.astype(np.int32)), name, "drone", unsharp="2d")
            np.testing.assert_allclose(streamed["rgb"][i].numpy(), alone.numpy(), rtol=0, atol=1e-6)
            seen += 1
    assert seen == len({row["image_id"] for row in stream.select_columns(["image_id"])}) * len(INTENSITIES)


def test_pipeline_errors(package, cache):
    dataset = datasets.load_dataset(str(package), "drone", split="test", cache_dir=cache)
    with pytest.raises(ValueError, match="processes raw rows"):
        pixels(dataset, rows="views", pipeline=PROCESSED_VIEWS[0])
    with pytest.raises(Lens2LogitError, match="unknown pipeline 'menon'"):
        pixels(dataset, pipeline="menon")
