"""Where a raw-row stream's bytes go: the bytes a local Hub server sends for a stream of microscopy train's raw
rows read to its end, by the way it is loaded.

    python benchmarks/stream_bytes.py [--work /tmp/lens2logit-bench] [--json benchmarks/stream_bytes.json]
    python benchmarks/stream_bytes.py --readme   # only rewrite docs/reading.md's table from the JSON

The package is benchmarks/run.py's synthetic archive of 300 images (scale 0.32), converted (made under --work
when missing), served by tests/hub_server.py, which counts the bytes it sends of each file. Each way runs in a
fresh process with a fresh HF_HOME, `pixels(...).iter(100)` to the end:
- the whole split (`load_dataset(..., streaming=True)`), every column, then only `columns=["label", "view",
  "raw"]`, with fsspec's default block (5 MiB read past each read), 1 MiB and 64 KiB (`storage_options`);
- only the raw shards (`data_files=`), with the default block;
- `stream(...)`, which sets `data_files=`, `columns=`, a 64 KiB block and pyarrow's read-ahead.
"""

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the Hub-compatible test server

from hub_server import HubServer  # noqa: E402
from stream_bandwidth import child, package_for  # noqa: E402
from table import write_readme_table  # noqa: E402

PAGE = REPO / "docs" / "reading.md"
TABLE_START = "<!-- the table of benchmarks/stream_bytes.json -->"
COLUMNS = ["label", "view", "raw"]
RAW_SHARDS = "microscopy/train/*-raw_scale*.parquet"
WAYS = {  # name -> (load_dataset's options, or None for `stream`)
    "whole split, every column": {},
    "whole split, columns=": {"columns": COLUMNS},
    "whole split, columns=, 1 MiB block": {"columns": COLUMNS, "storage_options": {"hf": {"block_size": 1 << 20}}},
    "whole split, columns=, 64 KiB block": {"columns": COLUMNS, "storage_options": {"hf": {"block_size": 64 << 10}}},
    "raw shards (data_files=), columns=": {"columns": COLUMNS, "data_files": {"train": RAW_SHARDS}},
    "stream(...)": None,
}
READ = """
import json, os, sys, datasets
from lens2logit import pixels, stream
repo, options = sys.argv[1], json.loads(sys.argv[2])
if options is None:
    rows = stream(repo, "microscopy", "train", columns=["label"])
else:
    rows = datasets.load_dataset(repo, "microscopy", split="train", streaming=True, **options)
print(sum(len(batch["raw"]) for batch in pixels(rows, columns=["label"]).iter(100)), flush=True)
os._exit(0)  # (apache/arrow#45214)
"""


def served(hub: HubServer, options: dict | None) -> dict:
    """Rows read, and the bytes sent of the raw shards, of the view shards and of the other files."""
    hub.sent.clear()
    rows = child(READ, "bench/lens2logit", json.dumps(options), endpoint=hub.url)
    kinds = {"raw": 0, "views": 0, "other": 0}
    for path, sent in hub.sent.items():
        kinds["other" if not path.endswith(".parquet") else "raw" if "-raw_scale" in path else "views"] += sent
    return {"rows": rows, **kinds}


def table(results: dict) -> str:
    """The Markdown table of the measured results: the bytes of each way, and their ratio to the raw shards'."""
    raw = results["raw_shard_bytes"]
    lines = [
        "| loaded as | MB of the raw shards | MB of the view shards | x the raw shards' bytes |",
        "|---|---|---|---|",
    ]
    for name, cell in results["ways"].items():
        total = cell["raw"] + cell["views"] + cell["other"]
        lines.append(f"| {name} | {cell['raw'] / 1e6:.1f} | {cell['views'] / 1e6:.1f} | {total / raw:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/lens2logit-bench"), help="archive and package")
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks/stream_bytes.json", help="the results")
    parser.add_argument("--readme", action="store_true", help="only rewrite docs/reading.md's table from --json")
    args = parser.parse_args()
    if not args.readme:
        package = package_for(args.work)
        raw = sum(path.stat().st_size for path in package.glob(RAW_SHARDS))
        with HubServer("bench/lens2logit", package) as hub:
            ways = {name: served(hub, options) for name, options in WAYS.items()}
        if {cell["rows"] for cell in ways.values()} != {1708}:
            raise RuntimeError(f"the ways read different rows: {ways}")
        args.json.write_text(json.dumps({"raw_shard_bytes": raw, "ways": ways}, indent=2) + "\n")
    results = json.loads(args.json.read_text())
    write_readme_table(table(results), PAGE, TABLE_START)
    print(table(results))  # noqa: T201


if __name__ == "__main__":
    main()
