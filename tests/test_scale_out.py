"""Reading parts of the package: filters that skip other conditions, ranks x workers, DuckDB."""

import functools
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import datasets
import duckdb
import numpy as np
import pyarrow
import pyarrow.dataset
import pytest
import torch
from datasets.distributed import split_dataset_by_node
from helpers import source_raw, source_tile

from lens2logit import loader, pixels

SELECTIVE_READ = """
import json, sys, datasets
def read_bytes():
    with open("/proc/self/io") as io:
        return int(next(line for line in io if line.startswith("rchar")).split()[1])
package, cache = sys.argv[1:]
datasets.load_dataset(package, "drone", split="test", cache_dir=cache + "/warm")  # loads the modules first
result = {}
selections = {"all": None, "view": [("view", "==", 3)], "intensity": [("intensity", "==", 0.1)]}
for name, filters in selections.items():
    before = read_bytes()
    # filters change the row counts the card records, hence no_checks (huggingface/datasets#7867)
    dataset = datasets.load_dataset(
        package, "microscopy", split="train", filters=filters, cache_dir=cache + name, verification_mode="no_checks"
    )
    result[name] = {"bytes": read_bytes() - before, "rows": dataset.num_rows, "views": sorted(set(dataset[:]["view"]))}
print(json.dumps(result))
"""


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="counts bytes read through Linux /proc/self/io")
def test_filters_read_only_the_matching_condition(package, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SELECTIVE_READ, str(package), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    read = json.loads(result.stdout)
    images = read["all"]["rows"] // 19
    assert read["view"]["rows"] == read["intensity"]["rows"] == images
    assert read["view"]["views"] == [3]
    assert read["intensity"]["views"] == [0]
    config = sum(path.stat().st_size for path in (package / "microscopy/train").glob("*.parquet"))
    assert read["all"]["bytes"] >= config
    # one condition of 19: about 9 % (view) and 15 % (intensity) of the bytes a full load reads
    assert read["view"]["bytes"] < read["all"]["bytes"] // 5
    assert read["intensity"]["bytes"] < read["all"]["bytes"] // 5


def test_ranks_and_workers_see_every_row_once(package, tmp_path):
    expected = datasets.load_dataset(str(package), "drone", split="train", cache_dir=str(tmp_path))
    expected_keys = Counter(zip(expected[:]["image_id"], expected[:]["intensity"], expected[:]["view"], strict=True))
    seen = Counter()
    for rank in range(2):
        stream = datasets.load_dataset(str(package), "drone", split="train", streaming=True)
        part = split_dataset_by_node(stream, rank=rank, world_size=2)
        columns = part.select_columns(["image_id", "intensity", "view"])
        loader = torch.utils.data.DataLoader(columns, batch_size=None, num_workers=2)
        rank_rows = [(row["image_id"], float(row["intensity"]), int(row["view"])) for row in loader]  # exhausted
        assert rank_rows
        seen.update(rank_rows)
    assert seen == expected_keys


def test_ranks_and_loader_workers_see_every_raw_row_once(package, tmp_path):
    """`loader` over `pixels` of each rank's part of a stream, with 2 workers: every raw row once, whole batches."""
    expected = datasets.load_dataset(str(package), "drone", split="train", cache_dir=str(tmp_path))
    raw = expected.filter(lambda view: view == 0, input_columns="view")
    expected_keys = Counter(zip(raw["image_id"], raw["intensity"], strict=True))
    seen = Counter()
    for rank in range(2):
        stream = datasets.load_dataset(str(package), "drone", split="train", streaming=True)
        part = split_dataset_by_node(stream, rank=rank, world_size=2)
        part = pixels(part, "torch", columns=["image_id", "intensity"])
        for batch in loader(part, batch_size=8, num_workers=2):
            assert len(batch["raw"]) == len(batch["image_id"]) <= 8
            seen.update(zip(batch["image_id"], batch["intensity"].tolist(), strict=True))
    assert seen == expected_keys


def test_streams_of_only_the_columns_they_need(package, archive_dir, tmp_path):
    """`load_dataset(..., streaming=True, columns=...)`, which docs/reading.md advises for streams (Parquet then
    reads only those columns), with pyarrow reading ahead as it advises over a network: the same raw rows
    in the same order with their stored pixels, also with `filters` keeping raw rows only; without `view`,
    rows of both kinds cannot be told apart, and pixels says so instead of reading processed-view rows as
    mosaics."""
    load = functools.partial(datasets.load_dataset, str(package), "microscopy", split="test")
    full = load(streaming=True).select_columns(["image_id", "intensity", "view"])
    expected = [(row["image_id"], row["intensity"]) for row in full if row["view"] == 0]
    ahead = pyarrow.dataset.ParquetFragmentScanOptions(cache_options=pyarrow.CacheOptions(prefetch_limit=1))
    narrow = load(streaming=True, columns=["image_id", "view", "intensity", "raw"], fragment_scan_options=ahead)
    seen = []
    for batch in pixels(narrow, columns=["image_id", "intensity"]).iter(16):
        for mosaic, image_id, intensity in zip(batch["raw"], batch["image_id"], batch["intensity"], strict=True):
            np.testing.assert_array_equal(mosaic, source_raw(archive_dir, image_id, float(intensity)))
            seen.append((image_id, float(intensity)))
    assert seen == expected
    only_raw = load(streaming=True, columns=["image_id", "intensity", "raw"], filters=[("view", "==", 0)])
    assert [(row["image_id"], float(row["intensity"])) for row in pixels(only_raw, columns=None)] == expected
    unmarked = load(streaming=True, columns=["image_id", "raw"])
    with pytest.raises(ValueError, match=r"rows have no 'raw' pixels: they are rows of the other kind.*keep 'view'"):
        list(pixels(unmarked))
    loaded = load(cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match=r"rows have no 'raw' pixels"):
        pixels(loaded.remove_columns(["view"]))  # the table's own rows: at once
    with pytest.raises(ValueError, match=r"rows have no 'raw' pixels"):
        pixels(loaded.shuffle(seed=0).remove_columns(["view"]))[:]  # rows mapped through indices: when read
    raw_only = loaded.filter(lambda view: view == 0, input_columns="view").remove_columns(["view"])
    rows = pixels(raw_only, columns=["image_id", "intensity"])[:]  # raw rows picked by the user: nothing refused
    assert list(zip(rows["image_id"], rows["intensity"].tolist(), strict=True)) == expected


def test_duckdb_of_the_hub_viewer_reads_the_shards(package, archive_dir):
    """DuckDB 1.5.5, which the Hub viewer's search and filter run on, reads every shard: counts per split
    (from the folder), `intensity` filters, and the raw uint16 values exactly."""
    assert duckdb.__version__ == "1.5.5"
    infos = json.loads((package / "dataset_infos.json").read_text())
    for config in ("microscopy", "drone", "drone_full", "drone_classification"):
        counts = dict(
            duckdb.sql(
                "SELECT regexp_extract(filename, '/(train|test)/', 1) AS split, count(*) "
                f"FROM read_parquet('{package}/{config}/*/*.parquet', filename=true) GROUP BY split"
            ).fetchall()
        )
        assert counts == {split: info["num_examples"] for split, info in infos[config]["splits"].items()}
    rows = duckdb.sql(
        f"SELECT image_id, intensity, raw FROM '{package}/drone/test/*.parquet' WHERE intensity = 0.5 AND view = 0 "
        "ORDER BY image_id"
    ).fetchall()
    assert len(rows) == infos["drone"]["splits"]["test"]["num_examples"] // 19
    for image_id, intensity, raw in rows:  # DELTA_BINARY_PACKED uint16 values read back exactly
        np.testing.assert_array_equal(np.array(raw, dtype=np.uint16), source_tile(archive_dir, image_id, intensity))
