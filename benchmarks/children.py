"""The code `run.py` runs in fresh interpreters (`run_child`), one measurement each: its last line printed is
the result as JSON."""

CONVERT = """
import json, sys
from _lens2logit.package.convert import convert
report = convert(sys.argv[1], sys.argv[2], overwrite=True, progress=False)
rows = {name: sum(split.num_examples for split in info.splits.values()) for name, info in report.infos.items()}
print(json.dumps({name: {"rows": rows[name], "seconds": report.seconds[name]} for name in rows}))
"""

LOAD = """
import json, sys, time
import numpy as np, torch, datasets
from lens2logit import loader, pixels
package, cache = sys.argv[1:]
PASSES = 3  # short loops on a shared machine: the best of three
start = time.perf_counter()
train = datasets.load_dataset(package, "microscopy", split="train", cache_dir=cache)
cold = time.perf_counter() - start
result = {"cold_seconds": cold}
buffer = np.empty((100, 256, 256), np.uint16)  # where a training step would take the pixels
for framework in ("numpy", "torch"):
    raw = pixels(train, framework, columns=["label"])  # raw + label, as training reads
    for batch in raw.iter(batch_size=100):  # warm the page cache, as for the loose files of the baseline
        pass
    passes = []
    for _ in range(PASSES):
        start = time.perf_counter()
        for batch in raw.iter(batch_size=100):
            assert batch["raw"].dtype == (np.uint16 if framework == "numpy" else torch.int32)
            if framework == "numpy" and not batch["raw"].flags.owndata:  # a view of the Arrow cache: read it
                np.copyto(buffer[: len(batch["raw"])], batch["raw"])  # (a batch across Arrow chunks is a copy)
        passes.append(time.perf_counter() - start)
    result[f"{framework}_seconds"] = min(passes)
result["rows"] = len(raw)
for order, shuffle in (("sequential", False), ("shuffled", True)):
    for workers in (0, 2):
        batches = loader(raw, batch_size=100, shuffle=shuffle, num_workers=workers, persistent_workers=workers > 0)
        assert sum(len(batch["raw"]) for batch in batches) == len(raw)  # first epoch: starts the workers
        start = time.perf_counter()
        for epoch in range(2):
            for batch in batches:
                pass
        result[f"loader_{order}_{workers}_seconds"] = (time.perf_counter() - start) / 2
ids = pixels(train, columns=["image_id", "intensity"])[:]
print(json.dumps(result | {"image_ids": ids["image_id"], "intensities": ids["intensity"].tolist()}))
"""

# The end of a streaming child: `rows` (an iterator) and `start` are set; the first row's time, then rows/s.
TIMED_ROWS = """
next(rows)
first = time.perf_counter() - start
start, seen = time.perf_counter(), 1
for row in rows:
    seen += 1
    if seen >= rows_wanted:
        break
print(json.dumps({"first_row_seconds": first, "rows": seen, "seconds": time.perf_counter() - start}), flush=True)
"""

STREAM = (
    """
import json, os, sys, time, datasets
from lens2logit import pixels
repo_id, rows_wanted = sys.argv[1], int(sys.argv[2])
start = time.perf_counter()
stream = datasets.load_dataset(repo_id, "microscopy", split="train", streaming=True)
rows = iter(pixels(stream, columns=["label"]))  # what a user runs: raw rows, exact uint16 numpy
"""
    + TIMED_ROWS
    + """
os._exit(0)  # the stream was left early: interpreter exit can crash in pyarrow (apache/arrow#45214)
"""
)

DECODE_FLOOR = """
import json, sys, time
from pathlib import Path
import pyarrow.parquet as pq
package, rows_wanted = sys.argv[1], int(sys.argv[2])
start, seen = time.perf_counter(), 0
for shard in sorted((Path(package) / "microscopy/train").glob("*-raw_scale*.parquet")):
    for batch in pq.ParquetFile(shard).iter_batches(batch_size=100, columns=["raw", "label"]):
        batch.column("raw").flatten().flatten().to_numpy()  # no datasets: a plain list<list<uint16>>
        seen += len(batch)
        if seen >= rows_wanted:
            break
    if seen >= rows_wanted:
        break
print(json.dumps({"rows": seen, "seconds": time.perf_counter() - start}))
"""

WEBDATASET = (
    """
import json, sys, time
import webdataset as wds
urls, rows_wanted = sys.argv[1].split(), int(sys.argv[2])
start = time.perf_counter()
rows = iter(wds.WebDataset(urls, shardshuffle=False).decode().to_tuple("npy", "cls"))  # numpy uint16, label
"""
    + TIMED_ROWS
)

SELECTIVE = """
import json, sys, datasets
def read_bytes():
    with open("/proc/self/io") as io:
        return int(next(line for line in io if line.startswith("rchar")).split()[1])
package, cache = sys.argv[1:]
datasets.load_dataset(package, "drone", split="test", cache_dir=cache + "/warm")
result = {}
selections = {"all": None, "one_view": [("view", "==", 3)], "one_intensity": [("intensity", "==", 0.1)]}
for name, filters in selections.items():
    before = read_bytes()
    datasets.load_dataset(package, "microscopy", split="train", filters=filters, cache_dir=cache + name,
                          verification_mode="no_checks")
    result[name] = read_bytes() - before
print(json.dumps(result))
"""
