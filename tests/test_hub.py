"""The package served by a Hub-compatible server on 127.0.0.1 (`HF_ENDPOINT`): hub-id loading and
streaming over HTTP give rows bit-identical to the local package."""

import os
import subprocess
import sys

import pytest
from hub_server import HubServer

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


def run_against(hub, package, tmp_path, config: str, streaming: bool) -> str:
    env = {
        **os.environ,
        "HF_ENDPOINT": hub.url,
        "HF_HOME": str(tmp_path / "home"),
        "HF_HUB_OFFLINE": "0",
        "HF_DATASETS_OFFLINE": "0",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", COMPARE, REPO_ID, str(package), config, "yes" if streaming else "no", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_load_by_hub_id(hub, package, tmp_path):
    printed = run_against(hub, package, tmp_path, "microscopy", streaming=False)
    assert printed.split() == ["train", "684", "test", "171"]
    served = {path.rsplit("/", 1)[-1] for method, path, _ in hub.requests if method == "GET" and "/resolve/" in path}
    assert {shard.name for shard in (package / "microscopy").rglob("*.parquet")} <= served


def test_stream_by_hub_id(hub, package, tmp_path):
    hub.requests.clear()
    printed = run_against(hub, package, tmp_path, "drone", streaming=True)
    assert printed.split() == ["train", "114", "test", "38"]
    ranges = [byte_range for method, path, byte_range in hub.requests if path.endswith(".parquet") and method == "GET"]
    assert ranges
    assert all(byte_range is not None for byte_range in ranges)  # read by ranges, not downloaded whole
