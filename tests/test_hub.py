"""The package served by a Hub-compatible server on 127.0.0.1 (`HF_ENDPOINT`): hub-id loading and
streaming over HTTP give rows bit-identical to the local package."""

import os
import re
import shutil
import subprocess
import sys

import datasets
import numpy as np
import pytest
from helpers import tree
from hub_server import HubServer

from _lens2logit.package.hub_id import DEFAULT_HUB_ID

REPO_ID = "org/lens2logit"

# Run in a subprocess: huggingface_hub reads HF_ENDPOINT when it is imported.
COMPARE = """
import sys, datasets, pyarrow as pa
repo_id, package, config, streaming, cache = sys.argv[1:]
local = datasets.load_dataset(package, config, cache_dir=cache + "/local")
if streaming == "yes":
    for split, expected in local.items():
        stream = datasets.load_dataset(repo_id, config, split=split, streaming=True)
        tables = list(stream.with_format("arrow").iter(batch_size=7))  # exhausted: no early exit
        got = pa.concat_tables(tables).combine_chunks()
        assert stream.features == expected.features, (stream.features, expected.features)
        assert got.equals(expected.data.table.combine_chunks()), split
        print(split, got.num_rows)
else:
    remote = datasets.load_dataset(repo_id, config, cache_dir=cache + "/remote")
    for split, expected in local.items():
        assert remote[split].features == expected.features
        assert remote[split].data.table.equals(expected.data.table), split
        print(split, remote[split].num_rows)
"""


@pytest.fixture(scope="module")
def hub(package):
    with HubServer(REPO_ID, package) as server:
        yield server


def hub_env(server: HubServer, tmp_path) -> dict[str, str]:
    """The environment of a process that talks to `server` as its Hub."""
    return {
        **os.environ,
        "HF_ENDPOINT": server.url,
        "HF_HOME": str(tmp_path / "home"),
        "HF_HUB_OFFLINE": "0",
        "HF_DATASETS_OFFLINE": "0",
        "HF_TOKEN": "hf_test",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }


def run_against(hub, package, tmp_path, config: str, streaming: bool) -> str:
    result = subprocess.run(
        [sys.executable, "-c", COMPARE, REPO_ID, str(package), config, "yes" if streaming else "no", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=hub_env(hub, tmp_path),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_load_by_hub_id(hub, package, tmp_path):
    printed = run_against(hub, package, tmp_path, "microscopy", streaming=False)
    assert printed.split() == ["train", "741", "test", "171"]
    served = {path.rsplit("/", 1)[-1] for method, path, _ in hub.requests if method == "GET" and "/resolve/" in path}
    assert {shard.name for shard in (package / "microscopy").rglob("*.parquet")} <= served


def test_stream_by_hub_id(hub, package, tmp_path):
    hub.requests.clear()
    printed = run_against(hub, package, tmp_path, "drone", streaming=True)
    assert printed.split() == ["train", "228", "test", "95"]
    ranges = [byte_range for method, path, byte_range in hub.requests if path.endswith(".parquet") and method == "GET"]
    assert ranges
    assert all(byte_range is not None for byte_range in ranges)  # read by ranges, not downloaded whole


def push_to(server: HubServer, package, tmp_path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "_lens2logit.cli", "push", str(package), "--repo", "org/pushed"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=hub_env(server, tmp_path))


def test_push_uploads_the_package_then_nothing(package, tmp_path):
    target = tmp_path / "repo"
    target.mkdir()
    with HubServer("org/pushed", target) as server:
        result = push_to(server, package, tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]
        assert f"pushed {package} to {server.url}/datasets/org/pushed" in result.stdout
        files = tree(package)
        assert tree(target) == files
        assert sum(map(len, server.committed)) == len(files)
        again = push_to(server, package, tmp_path)
        assert again.returncode == 0, again.stderr[-3000:]
        assert sum(map(len, server.committed)) == len(files)  # nothing uploaded twice


def test_push_refuses_a_package_that_fails_check(package, tmp_path):
    broken = tmp_path / "package"
    shutil.copytree(package, broken)
    (broken / "lens2logit.py").write_text("")
    with HubServer("org/pushed", tmp_path) as server:
        result = push_to(server, broken, tmp_path)
        assert result.returncode == 1
        assert "not pushed, `lens2logit check` found 1 problem(s)" in result.stderr
        assert "lens2logit.py: a Python file" in result.stderr
        assert server.requests == []


def test_card_engine_snippets_give_one_intensity_with_its_ids(hub, package, tmp_path):
    """The card's DuckDB, Polars, Dask and Ray snippets, as written, against the Hub server."""
    card = (package / "README.md").read_text()
    found = [code for code in re.findall(r"```python\n(.*?)```", card, re.DOTALL) if "snapshot_download" in code]
    assert [next(e for e in ("duckdb", "polars", "dask", "ray") if f"import {e}" in code) for code in found] == [
        "duckdb",
        "polars",
        "dask",
        "ray",
    ]
    train = datasets.load_dataset(str(package), "microscopy", split="train", cache_dir=str(tmp_path / "cache"))
    half = train.filter(lambda row: row["intensity"] == 0.5).sort("image_id")
    first = np.asarray(half[0]["raw"], dtype=np.uint16)
    expected = f"{half.num_rows} ({half.num_rows}, 256, 256) uint16 {half[0]['image_id']} {int(first.sum())}"
    for code in found:
        result = subprocess.run(
            [sys.executable, "-c", code.replace(DEFAULT_HUB_ID, REPO_ID)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            env=hub_env(hub, tmp_path),
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == expected
