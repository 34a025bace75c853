"""`stream`: a split streamed from only the shards holding the rows asked for and only the column chunks read.
Bytes are counted as a local Hub server sends them; rows are checked against the loaded dataset."""

import json
import subprocess
import sys
from collections import Counter

import datasets
import numpy as np
import pytest
from datasets.distributed import split_dataset_by_node
from hub_server import HubServer
from test_hub import hub_env

from _lens2logit.errors import InvalidArgumentError
from lens2logit import loader, pixels, stream

REPO_ID = "org/lens2logit"
MICROSCOPY_TRAIN = "microscopy/train/"

READ_TO_THE_END = """
import json, os, sys, datasets
from lens2logit import loader, pixels, stream
repo, way, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if way == "whole split":  # load_dataset's stream of the whole split, of the columns read
    columns = ["label", "view", "raw"]
    rows = datasets.load_dataset(repo, "microscopy", split="train", streaming=True, columns=columns, **options)
else:
    rows = stream(repo, "microscopy", "train", columns=["label"], **options)
rows = pixels(rows, "numpy" if way != "loader" else "torch", columns=["label"])
batches = loader(rows, batch_size=50, num_workers=2) if way == "loader" else rows.iter(50)
print(json.dumps(sum(len(batch["raw"]) for batch in batches)), flush=True)
os._exit(0)  # (apache/arrow#45214)
"""


@pytest.fixture(scope="module")
def hub(package):
    with HubServer(REPO_ID, package) as server:
        yield server


def served(hub, tmp_path, way: str, **options) -> tuple[int, Counter]:
    """Rows read to the end of a stream in a process of its own, and the bytes of each shard the server sent."""
    hub.sent.clear()
    command = [sys.executable, "-c", READ_TO_THE_END, REPO_ID, way, json.dumps(options)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=hub_env(hub, tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    shards = Counter({path: sent for path, sent in hub.sent.items() if path.endswith(".parquet")})
    return json.loads(result.stdout.splitlines()[-1]), shards


def shard_bytes(package, pattern: str) -> dict[str, int]:
    return {path.relative_to(package).as_posix(): path.stat().st_size for path in package.glob(pattern)}


def raw_row_count(package) -> int:
    train = datasets.load_dataset(str(package), "microscopy", split="train", streaming=True, columns=["view"])
    return sum(row["view"] == 0 for row in train)


@pytest.mark.parametrize("way", ["iter", "loader"])
def test_a_raw_row_stream_downloads_its_raw_shards_only(hub, package, tmp_path, way):
    """Read to the end in one process and through `loader` with 2 workers: every raw row, at most 1.10x the
    bytes of the raw shards, and not a byte of a processed-view shard."""
    raw = shard_bytes(package, f"{MICROSCOPY_TRAIN}*-raw_scale*.parquet")
    rows, sent = served(hub, tmp_path, way)
    assert rows == raw_row_count(package) == 273
    assert set(sent) == set(raw)
    assert sum(sent.values()) <= 1.10 * sum(raw.values())


def test_a_stream_of_one_intensity_downloads_that_shard_only(hub, package, tmp_path):
    shard = shard_bytes(package, f"{MICROSCOPY_TRAIN}02-raw_scale050-*.parquet")
    rows, sent = served(hub, tmp_path, "iter", intensities=0.5)
    assert rows == 273 // 7
    assert set(sent) == set(shard)
    assert sum(sent.values()) <= 1.10 * sum(shard.values())


def test_the_whole_split_stream_fetches_the_view_bytes_it_drops(hub, package, tmp_path):
    """What `stream` saves: load_dataset's stream of the split, even with columns=, reads every shard, and
    fsspec's 5 MiB read-ahead past each column chunk brings most of the views' `rgb` bytes; with the block size
    `stream` sets, only the chunks read and the footers."""
    raw = sum(shard_bytes(package, f"{MICROSCOPY_TRAIN}*-raw_scale*.parquet").values())
    rows, sent = served(hub, tmp_path, "whole split")
    assert rows == 273
    assert len(sent) == 19
    assert sum(sent.values()) > 1.5 * raw
    rows, sent = served(hub, tmp_path, "whole split", storage_options={"hf": {"block_size": 64 << 10}})
    assert (rows, len(sent)) == (273, 19)
    assert sum(sent.values()) <= 1.10 * raw


def keys(rows) -> list[tuple]:
    return [(row["image_id"], float(row["intensity"])) for row in rows]


def test_raw_rows_as_stored_in_the_package_order(package, cache_dir):
    loaded = datasets.load_dataset(str(package), "microscopy", split="train", cache_dir=cache_dir)
    expected = loaded.filter(lambda view: view == 0, input_columns="view")
    streamed = stream(str(package), "microscopy", "train", columns=["image_id", "intensity", "label"])
    assert list(streamed.features) == ["image_id", "label", "intensity", "raw"]  # the shards' column order
    assert streamed.features["label"] == loaded.features["label"]
    rows = [
        row for batch in pixels(streamed, columns=["image_id", "intensity", "label"]).iter(40) for row in _rows(batch)
    ]
    assert keys(rows) == keys(expected)
    assert [row["label"] for row in rows] == expected["label"]
    for row, stored in zip(rows[::50], expected.select(range(0, len(expected), 50)), strict=True):
        assert np.array_equal(row["raw"], np.array(stored["raw"], np.uint16))


def _rows(batch: dict) -> list[dict]:
    return [dict(zip(batch, values, strict=True)) for values in zip(*batch.values(), strict=True)]


def test_intensities_and_pipelines_select_their_rows(package, cache_dir):
    loaded = datasets.load_dataset(str(package), "drone", split="test", cache_dir=cache_dir)
    names = loaded.features["view"].names
    some = ["menon2007-unsharp_masking-median_denoising", "bilinear-sharpening_filter-gaussian_denoising"]
    views = stream(str(package), "drone", "test", rows="views", pipelines=some, columns=["image_id"])
    assert [(row["image_id"], names[row["view"]]) for row in views] == [
        (row["image_id"], names[row["view"]]) for row in loaded if names[row["view"]] in some
    ]  # in the package's order, whatever the order asked for
    low = stream(str(package), "drone", "test", intensities=[0.05, 0.75], columns=["image_id", "intensity"])
    assert keys(low) == keys(row for row in loaded if row["view"] == 0 and row["intensity"] in (0.75, 0.05))


def test_ranks_and_workers_read_every_row_once(package):
    rank_rows = Counter()
    for rank in range(2):
        part = split_dataset_by_node(stream(str(package), "drone", "train"), rank=rank, world_size=2)
        for batch in loader(pixels(part, "torch", columns=["image_id", "intensity"]), batch_size=8, num_workers=2):
            rank_rows.update(zip(batch["image_id"], batch["intensity"].tolist(), strict=True))
    whole = stream(str(package), "drone", "train", columns=["image_id", "intensity"])
    assert rank_rows == Counter(keys(whole))
    assert max(rank_rows.values()) == 1
    assert len(rank_rows) == 228 // 19 * 7  # the sample's drone train: 12 tiles, 19 rows each


@pytest.mark.parametrize(
    ("config", "options", "message"),
    [
        ("drone", {"intensities": [0.3]}, "intensities must be some of 0.01, 0.05"),
        ("drone", {"rows": "views", "intensities": 0.5}, "full-intensity capture only"),
        ("drone", {"pipelines": "bilinear-sharpening_filter-gaussian_denoising"}, "cannot be given with rows='raw'"),
        ("drone", {"rows": "mosaics"}, "rows must be one of"),
        ("drone_full", {"rows": "views"}, "drone_full/test/07-bilinear-sharpening_filter-gaussian_denoising-*"),
    ],
)
def test_bad_selections_are_named(package, config, options, message):
    with pytest.raises(InvalidArgumentError, match=message.replace("*", r"\*")):
        stream(str(package), config, "test", **options)


def test_an_unknown_split_is_named(package):
    with pytest.raises(
        InvalidArgumentError, match=r"microscopy/validation/00-raw_scale100-\*.*splits are train and test"
    ):
        stream(str(package), "microscopy", "validation")
